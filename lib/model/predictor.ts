/**
 * Turning a clip's features into emotion probabilities with a trained run's models and scalers.
 * Pure (tfjs, no Deno APIs): `deno task predict` and a browser page share it.
 */
import type * as tf from "@tensorflow/tfjs";
import type { ClipFeatures } from "../features/extract.ts";
import { type InputKind, inputOf, selectChannels } from "../schema/inputs.ts";
import { applyScaler, fitScaler, type Scaler } from "../normalise/scaler.ts";
import { predictProbabilities } from "./train.ts";
import { normalizeEachRow, RunningStats } from "../normalise/speaker.ts";
import { type ClipLevelLayout, removeClipLevel } from "../normalise/level.ts";
import { blendWithLinear, type LinearMember, scoreLinearMember } from "./linear_member.ts";
import { functionalsCountOf, inputFunctionals } from "../features/functionals.ts";
import {
  type EmbeddingStats,
  type LayerMoments,
  voiceEmbeddingStats,
  voiceLayerMoments,
  withLayerMoments,
} from "./voice_batch_norm.ts";
import { createRng } from "../util/random.ts";

export type PredictorInput = InputKind;
export { inputOf };

export interface Predictor {
  labels: string[];
  input: PredictorInput;
  rowShape: number[];
  members: PredictorMember[];
  /**
   * The frame columns `[from, to)` each clip has z-scored over its own frames first (runs with
   * `speakerNorm=per-clip` or `per-clip-prosody`: `perClipColumns`).
   */
  perClip?: [number, number];
  /**
   * Where the input keeps the clip's level, taken from the clip itself before anything else
   * (runs with `speakerNorm=per-clip-prosody-level`: `clipLevelLayout`); absent: as computed.
   */
  clipLevel?: ClipLevelLayout;
  /**
   * The run's linear members (`train.linearWeight`; one per fold), averaged into the networks'
   * mean at their weight; absent in runs without one.
   */
  linear?: LinearMember[];
  /**
   * The run scored each test voice with its networks' batch-norm statistics taken from that
   * voice (`eval.voiceBatchNorm`): a voice given `batchNorm` statistics gets the same.
   */
  voiceBatchNorm?: boolean;
  /**
   * The run scored each clip (strict) with batch-norm statistics mixed from the clip and the
   * training set's, which count as this many clips (`eval.clipBatchNorm`): each window
   * classified gets the same. Absent: the training set's alone.
   */
  clipBatchNorm?: number;
}

/** A voice's statistics inside every member's network, in `members` order. */
export interface VoiceBatchNorm {
  /** How many windows of the voice they were measured on. */
  windows: number;
  members: {
    /** Each batch-norm layer's. */
    layers: LayerMoments[];
    /** Its pooled embeddings', where the member maps voices onto its training voices. */
    embedding?: EmbeddingStats;
  }[];
}

/**
 * A voice's statistics: of its frames (each frame column), and of its windows' functionals
 * where the run's linear members standardise them per voice.
 */
export type Voice = Scaler & {
  functionals?: Scaler;
  /** How many windows the functional statistics rest on. */
  functionalWindows?: number;
  /** Its networks' batch-norm statistics, where the run takes them from each voice. */
  batchNorm?: VoiceBatchNorm;
};

/**
 * The fewest windows a voice's batch-norm statistics must rest on to replace the training set's.
 * Measured on twenty voices with statistics from k clips of each test voice (networks alone):
 * 1, 2, 4, 8, 16, 60 clips gave 51.6, 61.5, 66.5, 73.5, 76.3, 77.3 % against 73.1 % with the
 * training statistics (docs/results.md, session 18).
 */
export const MIN_BATCH_NORM_VOICE_WINDOWS = 8;

/** The most windows of a voice kept to measure its batch-norm statistics on (a seeded sample). */
export const BATCH_NORM_VOICE_SAMPLE = 64;

/**
 * Each member's batch-norm statistics over a voice's windows (`inputs`, unscaled model inputs),
 * scaled as `predictInput` scales them with `speaker`'s frame statistics. Null where the run
 * does not take them from voices, or the windows are fewer than `MIN_BATCH_NORM_VOICE_WINDOWS`.
 */
export function voiceBatchNormOf(
  p: Predictor,
  speaker: Scaler,
  inputs: readonly Float32Array[],
): VoiceBatchNorm | null {
  if (!p.voiceBatchNorm || inputs.length < MIN_BATCH_NORM_VOICE_WINDOWS) return null;
  const width = p.rowShape[p.rowShape.length - 1];
  const size = p.rowShape.reduce((a, b) => a * b, 1);
  const raw = new Float32Array(inputs.length * size);
  inputs.forEach((x, i) => raw.set(applyScaler(speaker, x), i * size));
  return {
    windows: inputs.length,
    members: p.members.map((m) => {
      const channels = m.channels ?? [0, width];
      const x = selectChannels(applyScaler(m.scaler, raw), width, channels);
      const shape = [...p.rowShape.slice(0, -1), channels[1] - channels[0]];
      const layers = voiceLayerMoments(m.model, x, shape);
      return m.embedding
        ? { layers, embedding: voiceEmbeddingStats(m.model, layers, x, shape) }
        : { layers };
    }),
  };
}

/** Whether `p`'s linear members need a voice's functional statistics. */
const linearPerVoice = (p: Predictor) => !!p.linear?.some((m) => m.perVoice);

/**
 * The fewest windows a voice's functional statistics must rest on for a per-voice linear member
 * to be averaged in. Training standardises each voice with its 60 clips; standardised with the
 * statistics of 2, 3 or 4 clips, the member alone scored 26, 49 and 55 % on twenty voices and
 * pulled the blend far below the networks alone, with 8 about even (docs/results.md, session 17).
 */
export const MIN_LINEAR_VOICE_WINDOWS = 8;

/**
 * Whether `speaker`'s statistics are too thin for `p`'s per-voice linear member, which is then
 * left out and the networks answer alone.
 */
export function linearLeftOut(p: Predictor, speaker?: Voice): boolean {
  return linearPerVoice(p) && !!speaker &&
    (speaker.functionalWindows ?? MIN_LINEAR_VOICE_WINDOWS) < MIN_LINEAR_VOICE_WINDOWS;
}

export interface PredictorMember {
  name: string;
  model: tf.LayersModel;
  /** Fitted on the training rows of the run's whole input. */
  scaler: Scaler;
  /** The feature columns `[from, to)` of each frame this member sees; absent: all of them. */
  channels?: [number, number];
  /**
   * Its training voices' pooled-embedding statistics (`eval.voiceEmbeddingNorm`): a voice's
   * embeddings are mapped onto them where the voice's `batchNorm` statistics are known.
   */
  embedding?: EmbeddingStats;
}

/**
 * Probabilities for one clip: each member (one model per fold) scales the input with its own
 * training statistics and predicts; the members' probabilities are averaged. Runs trained with
 * per-speaker normalisation need the speaker's statistics (`speaker`, fitted on that voice's
 * unscaled inputs), applied first, as in training.
 */
export function predictClip(p: Predictor, features: ClipFeatures, speaker?: Voice): Float32Array {
  return predictInput(p, inputOf(features, p.input), speaker);
}

/** `predictClip` on a clip's model input (`inputOf`), unscaled. */
export function predictInput(
  p: Predictor,
  clipInput: Float32Array,
  speaker?: Voice,
): Float32Array {
  const width = p.rowShape[p.rowShape.length - 1];
  const input = p.clipLevel ? removeClipLevel(clipInput, 1, width, p.clipLevel) : clipInput;
  const raw = p.perClip
    ? normalizeEachRow(input, 1, width, p.perClip)
    : speaker
    ? applyScaler(speaker, input)
    : input;
  const size = p.rowShape.reduce((a, b) => a * b, 1);
  if (raw.length !== size) {
    throw new Error(
      `features have ${raw.length} values but the model wants ${p.rowShape.join("x")}`,
    );
  }
  const sum = new Float32Array(p.labels.length);
  const norms = p.voiceBatchNorm ? speaker?.batchNorm : undefined;
  for (const [i, m] of p.members.entries()) {
    const channels = m.channels ?? [0, width];
    const x = selectChannels(applyScaler(m.scaler, raw), width, channels);
    const shape = [...p.rowShape.slice(0, -1), channels[1] - channels[0]];
    const score = () => predictProbabilities(m.model, x, shape, 1);
    const own = norms?.members[i];
    const probs = own
      ? withLayerMoments(
        m.model,
        own.layers,
        score,
        own.embedding && m.embedding ? { voice: own.embedding, training: m.embedding } : undefined,
      )
      : p.clipBatchNorm
      ? withLayerMoments(m.model, voiceLayerMoments(m.model, x, shape, 1, p.clipBatchNorm), score)
      : score();
    for (let c = 0; c < sum.length; c++) sum[c] += probs[c] / p.members.length;
  }
  return p.linear?.length && !linearLeftOut(p, speaker)
    ? blendWithLinear(sum, linearProbabilities(p, input, speaker), p.linear[0].weight)
    : sum;
}

/** The mean of the linear members' probabilities for one unscaled input. */
function linearProbabilities(p: Predictor, input: Float32Array, speaker?: Voice): Float32Array {
  const members = p.linear!;
  let f = inputFunctionals(input, 1, members[0].layout);
  // As the networks' frames: a voice's statistics where the caller gives them, else none.
  if (linearPerVoice(p) && speaker) {
    if (!speaker.functionals) {
      throw new Error(
        "this run's linear member standardises functionals per voice: the voice's statistics must include them (VoiceStatistics)",
      );
    }
    f = applyScaler(speaker.functionals, f);
  }
  const out = new Float32Array(p.labels.length);
  for (const m of members) {
    const probs = scoreLinearMember(m, f);
    for (let c = 0; c < out.length; c++) out[c] += probs[c] / members.length;
  }
  return out;
}

/**
 * A voice's statistics gathered window by window (a file read in a stream, the live page's
 * microphone): each window's frames, and its functionals where the run's linear members want
 * them. What `predictInput` takes as `speaker`.
 */
export class VoiceStatistics {
  readonly frames: RunningStats;
  readonly functionals: RunningStats | null;
  readonly #layout: LinearMember["layout"] | null;
  readonly #predictor: Predictor;
  /** A seeded sample of the voice's window inputs, for its batch-norm statistics. */
  #sample: Float32Array[] = [];
  #seen = 0;
  readonly #rng = createRng(29);

  constructor(p: Predictor) {
    this.#predictor = p;
    this.frames = new RunningStats(p.rowShape[p.rowShape.length - 1]);
    this.#layout = linearPerVoice(p) ? p.linear![0].layout : null;
    this.functionals = this.#layout ? new RunningStats(functionalsCountOf(this.#layout)) : null;
  }

  /**
   * Adds one window's unscaled input: its frames (only the last `newFrames`, when a window
   * overlaps the one before it, so each stretch of audio counts once) and its functionals.
   */
  add(input: Float32Array, newFrames?: number): void {
    const dim = this.frames.dim;
    this.frames.add(
      newFrames === undefined ? input : input.subarray(Math.max(0, input.length - newFrames * dim)),
    );
    if (this.#layout) this.functionals!.add(inputFunctionals(input, 1, this.#layout));
    if (this.#predictor.voiceBatchNorm) this.#keep(input);
  }

  /** Reservoir sampling: every window so far equally likely to be among the kept. */
  #keep(input: Float32Array): void {
    this.#seen++;
    if (this.#sample.length < BATCH_NORM_VOICE_SAMPLE) this.#sample.push(input);
    else {
      const j = this.#rng.int(0, this.#seen);
      if (j < BATCH_NORM_VOICE_SAMPLE) this.#sample[j] = input;
    }
  }

  /** How many windows of the voice were added (merged ones included). */
  get windows(): number {
    return this.#seen;
  }

  /** Adds everything `other` gathered (the same voice in another file). */
  merge(other: VoiceStatistics): void {
    this.frames.merge(other.frames);
    if (this.functionals && other.functionals) this.functionals.merge(other.functionals);
    // The other voice's kept windows stand for all it heard.
    const seen = this.#seen + other.#seen;
    for (const input of other.#sample) this.#keep(input);
    this.#seen = seen;
  }

  /**
   * The voice's statistics. With `batchNorm`, its networks' batch-norm statistics too, where the
   * run takes them from voices and enough windows were heard (a pass of the kept windows through
   * every network: what a file's answer uses, not each live window).
   */
  scaler(options: { batchNorm?: boolean } = {}): Voice {
    const frames = this.frames.scaler();
    const voice: Voice = this.functionals
      ? {
        ...frames,
        functionals: this.functionals.scaler(),
        functionalWindows: this.functionals.count,
      }
      : frames;
    const norms = options.batchNorm
      ? voiceBatchNormOf(this.#predictor, frames, this.#sample)
      : null;
    return norms ? { ...voice, batchNorm: norms } : voice;
  }
}

/**
 * The mean of `predictInput` over several inputs of one window: the window itself and its
 * test-time variants (`eval.tta`), averaged as evaluation averages a test clip's rows.
 */
export function predictMean(
  p: Predictor,
  inputs: readonly Float32Array[],
  speaker?: Voice,
): Float32Array {
  const sum = new Float32Array(p.labels.length);
  for (const input of inputs) {
    const probs = predictInput(p, input, speaker);
    for (let c = 0; c < sum.length; c++) sum[c] += probs[c] / inputs.length;
  }
  return sum;
}

/** A clip's features with those of its later windows (`audio.windowHopS`), if it has any. */
export type WindowedFeatures = ClipFeatures & { windows?: readonly ClipFeatures[] };

/**
 * Probabilities for a whole clip: the mean of `predictClip` over its windows (the first and
 * any later ones), as the evaluation scores a test clip longer than one window.
 */
export function predictWindows(
  p: Predictor,
  clip: WindowedFeatures,
  speaker?: Voice,
): Float32Array {
  const windows = [clip, ...(clip.windows ?? [])];
  const sum = new Float32Array(p.labels.length);
  for (const w of windows) {
    const probs = predictClip(p, w, speaker);
    for (let c = 0; c < sum.length; c++) sum[c] += probs[c] / windows.length;
  }
  return sum;
}

/**
 * Statistics of one voice for runs trained with per-speaker normalisation: fitted on the
 * unscaled model inputs of every clip given, taken as one speaker (more clips of the voice give
 * better estimates; a long clip's later windows count too). `deno task predict` and the live page's file path both use it.
 */
export function fitVoiceScaler(p: Predictor, clips: readonly WindowedFeatures[]): Voice {
  if (!clips.length) throw new Error("voice statistics: no clips");
  // Every window of every clip: all of the voice that was given.
  const inputs = clips.flatMap((c) => [c, ...(c.windows ?? [])]).map((c) => inputOf(c, p.input));
  const all = new Float32Array(inputs.reduce((n, x) => n + x.length, 0));
  inputs.reduce((at, x) => (all.set(x, at), at + x.length), 0);
  const frames: Voice = fitScaler(all, p.rowShape[p.rowShape.length - 1]);
  const norms = voiceBatchNormOf(p, frames, inputs);
  if (norms) frames.batchNorm = norms;
  if (!linearPerVoice(p)) return frames;
  const layout = p.linear![0].layout;
  const f = new Float32Array(inputs.length * functionalsCountOf(layout));
  inputs.forEach((x, i) => f.set(inputFunctionals(x, 1, layout), i * functionalsCountOf(layout)));
  return {
    ...frames,
    functionals: fitScaler(f, functionalsCountOf(layout)),
    functionalWindows: inputs.length,
  };
}
