/**
 * What a model input is, in one place: the clip's 162-value vector (`vector`), or frame
 * sequences side by side in every frame, written as a list of parts in frame order (log-mel,
 * MFCC + deltas, prosody). A list has a name (`logmelMfccDeltaProsody` is
 * `[logmel, mfccDelta, prosody]`): the names are what configs and stored runs hold, so every run
 * ever written still reads. Here: names <-> parts, which parts sit inside which, an input's shape
 * and columns for given feature sizes, and the input of one clip built from its features.
 * Imports nothing from the rest of lib/; pure.
 */

/** The frame sequences a clip has, in the order they sit side by side in a frame. */
export const SEQUENCES = ["logmel", "mfccDelta", "prosody"] as const;
/** A frame sequence: log-mel, MFCC + deltas, or prosody. */
export type SequenceName = (typeof SEQUENCES)[number];

/** Every combination a temporal network reads, by name; its parts are `INPUT_PARTS[name]`. */
export const INPUT_PARTS = {
  logmel: ["logmel"],
  mfccDelta: ["mfccDelta"],
  prosody: ["prosody"],
  logmelMfccDelta: ["logmel", "mfccDelta"],
  mfccDeltaProsody: ["mfccDelta", "prosody"],
  logmelMfccDeltaProsody: ["logmel", "mfccDelta", "prosody"],
} as const satisfies Record<string, readonly SequenceName[]>;

/** An input of the frame networks, by name. */
export type TemporalInput = keyof typeof INPUT_PARTS;
/** Every input of the frame networks, by name. */
export const TEMPORAL_INPUTS = Object.keys(INPUT_PARTS) as TemporalInput[];

/** A model input: the clip vector, or frame sequences. */
export type InputKind = "vector" | TemporalInput;

export function isTemporalInput(name: string): name is TemporalInput {
  return Object.hasOwn(INPUT_PARTS, name);
}

/** The sequences an input joins, in frame order. */
export function inputParts(input: TemporalInput): SequenceName[] {
  return [...INPUT_PARTS[input]];
}

/**
 * The input named by a list of parts (`[mfccDelta, prosody]` -> `mfccDeltaProsody`), in any
 * order; an error naming the parts when no input joins exactly them.
 */
export function inputNamed(parts: readonly string[]): TemporalInput {
  const want = SEQUENCES.filter((s) => parts.includes(s));
  const unknown = parts.filter((p) => !(SEQUENCES as readonly string[]).includes(p));
  const found = TEMPORAL_INPUTS.find((n) => INPUT_PARTS[n].join(",") === want.join(","));
  if (unknown.length || !found || want.length !== new Set(parts).size) {
    throw new Error(
      `[${parts.join(",")}] is not an input (parts: ${SEQUENCES.join(", ")}; inputs: ${
        TEMPORAL_INPUTS.join(", ")
      })`,
    );
  }
  return found;
}

/** Whether `part`'s sequences sit side by side inside `whole`'s (a member's contiguous view). */
export function inputContains(whole: TemporalInput, part: TemporalInput): boolean {
  const w = inputParts(whole).join(",");
  return `,${w},`.includes(`,${inputParts(part).join(",")},`);
}

/** The input without its prosody: what a strict twin's spectral members read. */
export function spectralPart(input: TemporalInput): TemporalInput {
  const parts = inputParts(input).filter((p) => p !== "prosody");
  return parts.length ? inputNamed(parts) : input;
}

/** Sizes of a feature set: the vector's length, frames per clip, each sequence's width. */
export interface InputDims {
  vector: number;
  frames: number;
  logmel: number;
  mfccDelta: number;
  prosody: number;
}

/** Shape of one model input row, and the size of the feature axis the scaler works on. */
export function inputShape(
  kind: InputKind,
  dims: InputDims,
): { rowShape: number[]; featureDim: number } {
  if (kind === "vector") return { rowShape: [dims.vector, 1], featureDim: dims.vector };
  const dim = inputParts(kind).reduce((n, p) => n + dims[p], 0);
  return { rowShape: [dims.frames, dim], featureDim: dim };
}

/**
 * The feature columns `[from, to)` of the run's input `whole` that make up `part` (the columns
 * of a frame, or the clip vector's single column).
 */
export function inputChannels(
  whole: InputKind,
  part: InputKind,
  dims: InputDims,
): [number, number] {
  const width = inputShape(whole, dims).rowShape.at(-1)!;
  if (whole === part) return [0, width];
  if (whole === "vector" || part === "vector" || !inputContains(whole, part)) {
    throw new Error(`input ${part} is not part of input ${whole}`);
  }
  const parts = inputParts(whole);
  const first = parts.indexOf(inputParts(part)[0]);
  const from = parts.slice(0, first).reduce((n, p) => n + dims[p], 0);
  return [from, from + inputShape(part, dims).rowShape[1]];
}

/**
 * Frame-major `a` (`aDim` per frame) and `b` (`bDim` per frame) side by side: `a`'s columns,
 * then `b`'s. Works on any number of rows at once (frames of consecutive rows are more frames).
 */
export function concatFrames(
  a: Float32Array,
  aDim: number,
  b: Float32Array,
  bDim: number,
): Float32Array {
  const frames = a.length / aDim;
  if (!Number.isInteger(frames) || frames * bDim !== b.length) {
    throw new Error(
      `concatFrames: ${a.length} values of ${aDim} and ${b.length} of ${bDim} are not the same frames`,
    );
  }
  const out = new Float32Array(frames * (aDim + bDim));
  for (let t = 0; t < frames; t++) {
    out.set(a.subarray(t * aDim, (t + 1) * aDim), t * (aDim + bDim));
    out.set(b.subarray(t * bDim, (t + 1) * bDim), t * (aDim + bDim) + aDim);
  }
  return out;
}

/**
 * Columns `[from, to)` of every frame of rows with `width` values per frame: a member's view of
 * the run's input. Scalers are per column, so this commutes with normalising and scaling.
 */
export function selectChannels(
  x: Float32Array,
  width: number,
  [from, to]: readonly [number, number],
): Float32Array {
  if (from === 0 && to === width) return x;
  const frames = x.length / width;
  const out = new Float32Array(frames * (to - from));
  for (let t = 0; t < frames; t++) {
    out.set(x.subarray(t * width + from, t * width + to), t * (to - from));
  }
  return out;
}

/** What `inputOf` reads of a clip's features. */
export interface InputSource {
  /** The 162-value vector. */
  vector: Float32Array;
  /** The frame sequences, frame-major, with their frame count. */
  sequence: { nFrames: number } & Record<SequenceName, Float32Array>;
}

/** The model input of one clip, before scaling: its vector, or its sequences side by side. */
export function inputOf(features: InputSource, input: InputKind): Float32Array {
  if (input === "vector") return features.vector;
  const seq = features.sequence;
  const [first, ...rest] = inputParts(input);
  let x = seq[first];
  for (const p of rest) {
    x = concatFrames(x, x.length / seq.nFrames, seq[p], seq[p].length / seq.nFrames);
  }
  return x;
}
