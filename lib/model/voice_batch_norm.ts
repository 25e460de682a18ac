/**
 * A network's batch-norm layers with a voice's own statistics (`eval.voiceBatchNorm`): where
 * the protocol already z-scores each voice's input frames with statistics of all its
 * recordings, every batch-norm layer deeper in the network is given the same treatment, its
 * mean and variance taken from that voice's recordings as they reach the layer instead of the
 * training set's moving averages. Input normalisation removes a voice's offset in what the
 * microphone hears; the deeper layers' statistics remove it in what the network has made of
 * it (Li et al. 2016, "Revisiting batch normalization for practical domain adaptation", with
 * each voice as a domain). Unlabelled audio only, as the input statistics. Pure (tfjs, no
 * Deno APIs).
 */
import * as tf from "@tensorflow/tfjs";
import { predictProbabilities, rowSize } from "./samples.ts";

/** One voice's rows: those its statistics come from, and those scored with them. */
export interface VoiceRows {
  /** Row indices the layer statistics are computed over (the voice's recordings as made). */
  stats: Int32Array;
  /** Row indices scored with them (the recordings, later windows, test-time variants). */
  rows: Int32Array;
}

/** Everything `model` outputs for the rows of `x`, row-major, computed in batches. */
function outputsOf(
  model: tf.LayersModel,
  x: Float32Array,
  rowShape: readonly number[],
  batchSize: number,
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

function pickRows(x: Float32Array, size: number, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * size);
  rows.forEach((r, i) => out.set(x.subarray(r * size, (r + 1) * size), i * size));
  return out;
}

/** Per-channel mean and population variance over every row and step of `y` ([n, ..., c]). */
function channelMoments(
  y: Float32Array,
  channels: number,
): { mean: Float32Array; variance: Float32Array } {
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    sum[i % channels] += v;
    sumSq[i % channels] += v * v;
  }
  const count = y.length / channels;
  const mean = new Float32Array(channels);
  const variance = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const m = sum[c] / count;
    mean[c] = m;
    variance[c] = Math.max(0, sumSq[c] / count - m * m);
  }
  return { mean, variance };
}

/** One batch-norm layer's statistics as a voice gives them: per channel. */
export interface LayerMoments {
  mean: Float32Array;
  variance: Float32Array;
}

const batchNormsOf = (model: tf.LayersModel) =>
  model.layers.filter((l) => l.getClassName() === "BatchNormalization");

/** Each batch-norm layer's trained weights (gamma, beta, moving mean, moving variance), copied. */
function trainedNormWeights(norms: tf.layers.Layer[]): Float32Array[][] {
  // getWeights() hands back the variables themselves: copies, to put back afterwards.
  return norms.map((l) => {
    const w = l.getWeights();
    if (w.length !== 4) {
      throw new Error(`${l.name}: voice statistics need a batch norm with scale and centre`);
    }
    return w.map((t) => t.dataSync().slice() as Float32Array);
  });
}

function setMoments(layer: tf.layers.Layer, trained: Float32Array[], m: LayerMoments): void {
  tf.tidy(() =>
    layer.setWeights([
      tf.tensor(trained[0]),
      tf.tensor(trained[1]),
      tf.tensor(m.mean),
      tf.tensor(m.variance),
    ])
  );
}

function restore(norms: tf.layers.Layer[], trained: Float32Array[][]): void {
  norms.forEach((layer, i) => tf.tidy(() => layer.setWeights(trained[i].map((w) => tf.tensor(w)))));
}

/**
 * The statistics every batch-norm layer of `model` sees over the rows of `x` (a voice's
 * recordings), in layer order: each taken with the layers before it already carrying theirs.
 * Empty for a network without batch norm. The model is left as it was.
 */
export function voiceLayerMoments(
  model: tf.LayersModel,
  x: Float32Array,
  rowShape: readonly number[],
  batchSize = 256,
): LayerMoments[] {
  const norms = batchNormsOf(model);
  if (!norms.length) return [];
  const trained = trainedNormWeights(norms);
  const moments: LayerMoments[] = [];
  try {
    norms.forEach((layer, i) => {
      // What this layer reads, as a model of its own sharing the layers before it.
      const upTo = tf.model({ inputs: model.inputs, outputs: layer.input as tf.SymbolicTensor });
      const m = channelMoments(outputsOf(upTo, x, rowShape, batchSize), trained[i][2].length);
      setMoments(layer, trained[i], m);
      moments.push(m);
    });
  } finally {
    restore(norms, trained);
  }
  return moments;
}

/** `run()`'s result with `model`'s batch-norm layers carrying `moments`, put back afterwards. */
export function withLayerMoments<T>(
  model: tf.LayersModel,
  moments: readonly LayerMoments[],
  run: () => T,
): T {
  const norms = batchNormsOf(model);
  if (norms.length !== moments.length) {
    throw new Error(
      `voice statistics for ${moments.length} batch-norm layers, but the network has ${norms.length}`,
    );
  }
  const trained = trainedNormWeights(norms);
  try {
    norms.forEach((layer, i) => setMoments(layer, trained[i], moments[i]));
    return run();
  } finally {
    restore(norms, trained);
  }
}

/**
 * Class probabilities ([n, classes], row-major, as `predictProbabilities`) with each voice's
 * rows scored by the network whose batch-norm layers carry that voice's statistics
 * (`voiceLayerMoments` over the voice's `stats` rows). Rows of no voice are scored with the
 * training statistics. The model's weights are the same afterwards as before.
 */
export function voiceAdaptedProbabilities(
  model: tf.LayersModel,
  x: Float32Array,
  rowShape: readonly number[],
  voices: readonly VoiceRows[],
  batchSize = 256,
): Float32Array {
  const out = predictProbabilities(model, x, rowShape, batchSize);
  if (!batchNormsOf(model).length) return out;
  const size = rowSize(rowShape);
  const classes = out.length / (x.length / size);
  for (const voice of voices) {
    if (!voice.stats.length) continue;
    const moments = voiceLayerMoments(model, pickRows(x, size, voice.stats), rowShape, batchSize);
    const probs = withLayerMoments(
      model,
      moments,
      () => predictProbabilities(model, pickRows(x, size, voice.rows), rowShape, batchSize),
    );
    voice.rows.forEach((r, i) =>
      out.set(probs.subarray(i * classes, (i + 1) * classes), r * classes)
    );
  }
  return out;
}
