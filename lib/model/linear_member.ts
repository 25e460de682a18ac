/**
 * The linear member: softmax regression on a clip's functionals (`features/functionals.ts`'s
 * statistics of every column of the run's model input over its frames), averaged with the
 * networks' probabilities at a fixed weight (`train.linearWeight`). It sees a clip as a whole
 * where the networks see it frame by frame, so its mistakes differ from theirs; docs/results.md
 * has what that is worth. Its functionals are standardised per voice where the run's
 * normalisation knows voices (statistics of the voice's clips, as the networks' frames are),
 * and with the training rows' statistics in every case. Pure: no Deno APIs.
 */
import {
  functionalsCountOf,
  type FunctionalsLayout,
  parseFunctionalsLayout,
} from "../features/functionals.ts";
import { applyScaler, fitScaler, parseScaler, type Scaler } from "../normalise/scaler.ts";
import { fitSoftmax, predictSoftmax, type SoftmaxRegression } from "./softmax_regression.ts";

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
    functionals: m.layout.statistics,
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
    layout: unknown;
    weights: number[];
    bias: number[];
  };
  if (j?.kind !== "softmax-regression-on-functionals") {
    throw new Error(`${source}: not a linear member (kind ${JSON.stringify(j?.kind)})`);
  }
  const layout = parseFunctionalsLayout(j.layout, source);
  const classes = j.classes as number, inputs = j.inputs as number;
  if (
    !Array.isArray(j.weights) || j.weights.length !== classes * inputs ||
    !Array.isArray(j.bias) || j.bias.length !== classes ||
    inputs !== functionalsCountOf(layout) || ![...j.weights, ...j.bias].every(Number.isFinite)
  ) {
    throw new Error(`${source}: damaged linear member (weights do not match its layout)`);
  }
  return {
    layout,
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
