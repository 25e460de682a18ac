/**
 * The linear member: softmax regression on a clip's functionals (`features/functionals.ts`'s
 * statistics of every column of the run's model input over its frames), averaged with the
 * networks' probabilities at a fixed weight (`train.linearWeight`). It sees a clip as a whole
 * where the networks see it frame by frame, so its mistakes differ from theirs; docs/results.md
 * has what that is worth. Its functionals are standardised per voice where the run's
 * normalisation knows voices (statistics of the voice's clips, as the networks' frames are),
 * and with the training rows' statistics in every case. Pure: no Deno APIs.
 */
import { FUNCTIONALS, summarise } from "../features/functionals.ts";
import { PROSODY_DIM } from "../features/prosody.ts";
import { applyScaler, fitScaler, parseScaler, type Scaler } from "../normalise/scaler.ts";
import { fitSoftmax, predictSoftmax, type SoftmaxRegression } from "./softmax_regression.ts";

/** Where the columns of an input frame are, for its functionals. */
export interface FunctionalsLayout {
  frames: number;
  /** Columns per frame. */
  width: number;
  /** The prosody voicing column (0/1) within a frame; -1 when the input has no prosody. */
  voicedColumn: number;
  /** Columns summarised over voiced frames only (pitch and voice quality), within a frame. */
  voicedOnly: number[];
}

/** Prosody columns that mean something only where a frame is voiced (`PROSODY_COLUMNS`). */
const VOICED_ONLY_PROSODY = [0, 1, 3, 7, 8, 9, 10];
const VOICED_PROSODY = 2;

/** The layout of frames `frames` x `width` whose prosody (if any) starts at `prosodyFrom`. */
export function functionalsLayout(
  frames: number,
  width: number,
  prosodyFrom: number | null,
): FunctionalsLayout {
  if (prosodyFrom !== null && !(prosodyFrom >= 0 && prosodyFrom + PROSODY_DIM <= width)) {
    throw new Error(`functionals: prosody at column ${prosodyFrom} does not fit ${width} columns`);
  }
  return {
    frames,
    width,
    voicedColumn: prosodyFrom === null ? -1 : prosodyFrom + VOICED_PROSODY,
    voicedOnly: prosodyFrom === null ? [] : VOICED_ONLY_PROSODY.map((c) => prosodyFrom + c),
  };
}

/** Functionals of one row, `width * FUNCTIONALS.length` values. */
export function functionalsCountOf(layout: FunctionalsLayout): number {
  return layout.width * FUNCTIONALS.length;
}

/**
 * Functionals of `rows` consecutive model inputs (unnormalised frames, `layout`'s shape), one
 * row after another. A voiced-only column of a row with no voiced frame is summarised as 0s
 * (the value unvoiced frames hold).
 */
export function inputFunctionals(
  x: Float32Array,
  rows: number,
  layout: FunctionalsLayout,
): Float32Array {
  const { frames, width, voicedColumn } = layout;
  if (x.length !== rows * frames * width) {
    throw new Error(`functionals: ${x.length} values are not ${rows} rows of ${frames}x${width}`);
  }
  const k = FUNCTIONALS.length;
  const out = new Float32Array(rows * width * k);
  const voicedOnly = new Set(layout.voicedOnly);
  const column = new Float64Array(frames);
  const stats = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    const base = r * frames * width;
    for (let c = 0; c < width; c++) {
      const masked = voicedOnly.has(c);
      let n = 0;
      for (let t = 0; t < frames; t++) {
        const at = base + t * width;
        if (masked && x[at + voicedColumn] < 0.5) continue;
        column[n++] = x[at + c];
      }
      summarise(n ? column.subarray(0, n) : new Float64Array(1), stats, 0);
      out.set(stats, (r * width + c) * k);
    }
  }
  return out;
}

/** A fitted linear member. */
export interface LinearMember {
  layout: FunctionalsLayout;
  /** Its weight in the average with the networks' mean: (1 - w) networks + w linear. */
  weight: number;
  lambda: number;
  /** Whether each voice's functionals are standardised with that voice's statistics first. */
  perVoice: boolean;
  /** The training rows' statistics (after the per-voice step, where there is one). */
  scaler: Scaler;
  model: SoftmaxRegression;
}

/**
 * Fits the member on training functionals (rows of `functionalsCountOf(layout)`, already
 * standardised per voice when `perVoice`), labels `y` of `classes`.
 */
export function fitLinearMember(
  functionals: Float32Array,
  y: Int32Array,
  classes: number,
  o: { layout: FunctionalsLayout; weight: number; lambda: number; perVoice: boolean },
): LinearMember {
  const dim = functionalsCountOf(o.layout);
  const scaler = fitScaler(functionals, dim);
  const z = applyScaler(scaler, functionals);
  const rows = Array.from({ length: y.length }, (_, i) => z.subarray(i * dim, (i + 1) * dim));
  const model = fitSoftmax(rows, Array.from(y), classes, { lambda: o.lambda });
  return { ...o, scaler, model };
}

/**
 * Class probabilities (row-major, `rows` x classes) of functionals already standardised per
 * voice where the member is `perVoice`.
 */
export function scoreLinearMember(m: LinearMember, functionals: Float32Array): Float32Array {
  const dim = functionalsCountOf(m.layout);
  const z = applyScaler(m.scaler, functionals);
  const rows = Array.from({ length: z.length / dim }, (_, i) => z.subarray(i * dim, (i + 1) * dim));
  const out = new Float32Array(rows.length * m.model.classes);
  predictSoftmax(m.model, rows).forEach((p, i) => out.set(p, i * m.model.classes));
  return out;
}

/** `(1 - weight) networks + weight linear`, row by row, into a new array. */
export function blendWithLinear(
  networks: Float32Array,
  linear: Float32Array,
  weight: number,
): Float32Array {
  if (networks.length !== linear.length) {
    throw new Error(`linear member: ${linear.length} probabilities for ${networks.length}`);
  }
  return networks.map((p, i) => (1 - weight) * p + weight * linear[i]);
}

/** What `linear.json` holds. */
export function linearMemberJson(m: LinearMember): unknown {
  return {
    kind: "softmax-regression-on-functionals",
    functionals: FUNCTIONALS,
    layout: m.layout,
    weight: m.weight,
    lambda: m.lambda,
    perVoice: m.perVoice,
    scaler: m.scaler,
    classes: m.model.classes,
    inputs: m.model.inputs,
    weights: Array.from(m.model.weights),
    bias: Array.from(m.model.bias),
  };
}

/** A `linear.json` read back, or an error naming `source` and what is wrong. */
export function parseLinearMember(json: unknown, source: string): LinearMember {
  const j = json as Record<string, unknown> & {
    layout: FunctionalsLayout;
    weights: number[];
    bias: number[];
  };
  if (j?.kind !== "softmax-regression-on-functionals") {
    throw new Error(`${source}: not a linear member (kind ${JSON.stringify(j?.kind)})`);
  }
  const classes = j.classes as number, inputs = j.inputs as number;
  if (
    !Array.isArray(j.weights) || j.weights.length !== classes * inputs ||
    !Array.isArray(j.bias) || j.bias.length !== classes ||
    inputs !== functionalsCountOf(j.layout) || ![...j.weights, ...j.bias].every(Number.isFinite)
  ) {
    throw new Error(`${source}: damaged linear member (weights do not match its layout)`);
  }
  return {
    layout: j.layout,
    weight: j.weight as number,
    lambda: j.lambda as number,
    perVoice: j.perVoice === true,
    scaler: parseScaler(j.scaler, `${source} (scaler)`),
    model: {
      inputs,
      classes,
      weights: Float64Array.from(j.weights),
      bias: Float64Array.from(j.bias),
    },
  };
}
