/**
 * Multinomial logistic regression (softmax over a linear map) with an L2 penalty, fitted by
 * full-batch Adam from zero weights: deterministic, no seed needed, seconds for a thousand
 * rows of a few hundred columns. The linear member beside the networks (per-clip functionals,
 * `features/functionals.ts`). Pure: no Deno APIs.
 */

export interface SoftmaxRegression {
  /** Input columns. */
  inputs: number;
  classes: number;
  /** inputs x classes, row-major. */
  weights: Float64Array;
  bias: Float64Array;
}

export interface SoftmaxFitOptions {
  /** L2 penalty on the weights (not the bias), per row: the loss is mean CE + lambda/2 |W|². */
  lambda: number;
  iterations: number;
  learningRate: number;
}

export const SOFTMAX_FIT_DEFAULTS: SoftmaxFitOptions = {
  lambda: 0.1,
  iterations: 400,
  learningRate: 0.01,
};

/** Class probabilities of one row, into `out` (length `classes`). */
function probabilitiesInto(m: SoftmaxRegression, x: ArrayLike<number>, out: Float64Array): void {
  const { inputs, classes, weights, bias } = m;
  out.set(bias);
  for (let j = 0; j < inputs; j++) {
    const v = x[j];
    if (v === 0) continue;
    const row = j * classes;
    for (let c = 0; c < classes; c++) out[c] += v * weights[row + c];
  }
  let max = -Infinity;
  for (let c = 0; c < classes; c++) max = Math.max(max, out[c]);
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += out[c] = Math.exp(out[c] - max);
  for (let c = 0; c < classes; c++) out[c] /= sum;
}

/** The model's class probabilities for each row of `x`. */
export function predictSoftmax(
  m: SoftmaxRegression,
  x: readonly ArrayLike<number>[],
): Float64Array[] {
  return x.map((row) => {
    if (row.length !== m.inputs) {
      throw new Error(
        `softmax regression: a row of ${row.length} values, the model takes ${m.inputs}`,
      );
    }
    const out = new Float64Array(m.classes);
    probabilitiesInto(m, row, out);
    return out;
  });
}

/** Fits weights to rows `x` with class indices `y` (each in `[0, classes)`). */
export function fitSoftmax(
  x: readonly ArrayLike<number>[],
  y: readonly number[],
  classes: number,
  options: Partial<SoftmaxFitOptions> = {},
): SoftmaxRegression {
  const o = { ...SOFTMAX_FIT_DEFAULTS, ...options };
  if (!x.length || x.length !== y.length) {
    throw new Error(`softmax regression: ${x.length} rows and ${y.length} labels`);
  }
  const inputs = x[0].length;
  for (const c of y) {
    if (!(Number.isInteger(c) && c >= 0 && c < classes)) {
      throw new Error(`softmax regression: label ${c} is not a class index below ${classes}`);
    }
  }
  const m: SoftmaxRegression = {
    inputs,
    classes,
    weights: new Float64Array(inputs * classes),
    bias: new Float64Array(classes),
  };
  const size = (inputs + 1) * classes;
  const grad = new Float64Array(size);
  const first = new Float64Array(size);
  const second = new Float64Array(size);
  const p = new Float64Array(classes);
  const n = x.length;
  for (let step = 1; step <= o.iterations; step++) {
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const row = x[i];
      probabilitiesInto(m, row, p);
      p[y[i]] -= 1; // d(cross-entropy)/d(logits)
      for (let j = 0; j < inputs; j++) {
        const v = row[j];
        if (v === 0) continue;
        const at = j * classes;
        for (let c = 0; c < classes; c++) grad[at + c] += v * p[c];
      }
      for (let c = 0; c < classes; c++) grad[inputs * classes + c] += p[c];
    }
    const c1 = 1 - 0.9 ** step, c2 = 1 - 0.999 ** step;
    for (let a = 0; a < size; a++) {
      const isWeight = a < inputs * classes;
      const g = grad[a] / n + (isWeight ? o.lambda * m.weights[a] : 0);
      first[a] = 0.9 * first[a] + 0.1 * g;
      second[a] = 0.999 * second[a] + 0.001 * g * g;
      const delta = (o.learningRate * first[a] / c1) / (Math.sqrt(second[a] / c2) + 1e-8);
      if (isWeight) m.weights[a] -= delta;
      else m.bias[a - inputs * classes] -= delta;
    }
  }
  return m;
}
