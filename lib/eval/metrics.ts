/**
 * Classification metrics from a confusion matrix. Pure: no Deno APIs, no tfjs.
 * Rows of the confusion matrix are true classes, columns predicted classes.
 */

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Test rows whose true class this is. */
  support: number;
}

export interface Metrics {
  labels: string[];
  rows: number;
  accuracy: number;
  /** Unweighted average recall: the mean of per-class recalls (balanced accuracy). */
  uar: number;
  macroF1: number;
  perClass: ClassMetrics[];
  confusion: number[][];
}

export function confusionMatrix(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
): number[][] {
  if (truth.length !== predicted.length) {
    throw new Error(`confusion matrix: ${truth.length} labels but ${predicted.length} predictions`);
  }
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    const p = predicted[i];
    if (!(t >= 0 && t < classes && p >= 0 && p < classes)) {
      throw new Error(`confusion matrix: class index out of range at row ${i} (${t}, ${p})`);
    }
    m[t][p]++;
  }
  return m;
}

/**
 * Accuracy, UAR, macro-F1 and per-class P/R/F1. A class with no predictions has precision 0 and
 * a class with no support has recall 0 (scikit-learn's zero_division=0); classes absent from
 * the test set still count in the macro averages, as they do in scikit-learn with `labels=`.
 */
export function metricsFromConfusion(confusion: number[][], labels: readonly string[]): Metrics {
  const k = labels.length;
  if (confusion.length !== k || confusion.some((r) => r.length !== k)) {
    throw new Error(`metrics: confusion matrix is not ${k}x${k}`);
  }
  let total = 0;
  let correct = 0;
  const perClass: ClassMetrics[] = labels.map((label, c) => {
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predictedAs = confusion.reduce((a, row) => a + row[c], 0);
    const tp = confusion[c][c];
    total += support;
    correct += tp;
    const precision = predictedAs ? tp / predictedAs : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  return {
    labels: [...labels],
    rows: total,
    accuracy: total ? correct / total : 0,
    uar: perClass.reduce((a, c) => a + c.recall, 0) / k,
    macroF1: perClass.reduce((a, c) => a + c.f1, 0) / k,
    perClass,
    confusion: confusion.map((r) => [...r]),
  };
}

/** Index of the largest value of each row of a row-major [n, classes] matrix. */
export function argmaxRows(probs: ArrayLike<number>, classes: number): Int32Array {
  const n = probs.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (probs[i * classes + c] > probs[i * classes + best]) best = c;
    }
    out[i] = best;
  }
  return out;
}

/** Element-wise sum of confusion matrices (pooling folds). */
export function addConfusions(a: number[][], b: number[][]): number[][] {
  return a.map((row, i) => row.map((v, j) => v + b[i][j]));
}

export interface Spread {
  mean: number;
  /** Population standard deviation over the values (ddof 0, as NumPy's default). */
  std: number;
  values: number[];
}

export function meanStd(values: readonly number[]): Spread {
  if (!values.length) return { mean: NaN, std: NaN, values: [] };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance), values: [...values] };
}

/**
 * 8-class probabilities (EMOTIONS_8 order: neutral, calm, ...) to 7 classes by adding calm's
 * probability to neutral's: how an 8-class model is scored on the 7-class label set.
 */
export function mergeCalmIntoNeutral(probs8: ArrayLike<number>): Float32Array {
  const n = probs8.length / 8;
  const out = new Float32Array(n * 7);
  for (let i = 0; i < n; i++) {
    out[i * 7] = probs8[i * 8] + probs8[i * 8 + 1];
    for (let c = 2; c < 8; c++) out[i * 7 + c - 1] = probs8[i * 8 + c];
  }
  return out;
}
