/**
 * Rows a network trains or is scored on, and what a network makes of them: class probabilities
 * in batches, and the mean loss and accuracy the training loop reports. No Deno APIs.
 */
import * as tf from "@tensorflow/tfjs";

/** Row-major samples: `x` holds n rows of `rowShape`, `labels` the class index per row. */
export interface Samples {
  x: Float32Array;
  rowShape: number[];
  labels: Int32Array;
  classes: number;
  /**
   * The speaker of each row, numbered 0 to `speakerCount - 1`: what a speaker adversary
   * (`train.speakerAdversary`) learns to tell apart. Training rows only.
   */
  speakers?: Int32Array;
  speakerCount?: number;
}

export function rowSize(rowShape: readonly number[]): number {
  return rowShape.reduce((a, b) => a * b, 1);
}

/** Mean loss and accuracy of `model` on `samples` (inference mode). */
export function evaluateLoss(
  model: tf.LayersModel,
  samples: Samples,
  batchSize = 256,
): { loss: number; accuracy: number } {
  const probs = predictProbabilities(model, samples.x, samples.rowShape, batchSize);
  return lossAndAccuracy(probs, samples.labels, samples.classes);
}

/** Mean clipped cross-entropy and accuracy of probabilities `probs` ([n, classes]). */
export function lossAndAccuracy(
  probs: Float32Array,
  labels: Int32Array,
  k: number,
): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  const n = labels.length;
  for (let i = 0; i < n; i++) {
    const t = labels[i];
    const p = Math.min(Math.max(probs[i * k + t], 1e-7), 1 - 1e-7);
    loss -= Math.log(p);
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + best]) best = c;
    if (best === t) correct++;
  }
  return { loss: loss / n, accuracy: correct / n };
}

/** Everything `model` outputs for the rows of `x`, row-major, computed in batches in inference mode. */
export function predictOutputs(
  model: tf.LayersModel,
  x: Float32Array,
  rowShape: readonly number[],
  batchSize = 256,
): Float32Array {
  const size = rowSize(rowShape);
  const n = x.length / size;
  const parts: Float32Array[] = [];
  for (let from = 0; from < n; from += batchSize) {
    const to = Math.min(n, from + batchSize);
    const y = tf.tidy(() =>
      model.predict(
        tf.tensor(x.subarray(from * size, to * size), [to - from, ...rowShape]),
      ) as tf.Tensor
    );
    parts.push(y.dataSync() as Float32Array);
    y.dispose();
  }
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Class probabilities, row-major [n, classes], computed in batches in inference mode. */
export function predictProbabilities(
  model: tf.LayersModel,
  x: Float32Array,
  rowShape: readonly number[],
  batchSize = 256,
): Float32Array {
  return predictOutputs(model, x, rowShape, batchSize);
}
