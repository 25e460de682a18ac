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
import { predictOutputs, predictProbabilities, rowSize } from "./samples.ts";

/** One voice's rows: those its statistics come from, and those scored with them. */
export interface VoiceRows {
  /** Row indices the layer statistics are computed over (the voice's recordings as made). */
  stats: Int32Array;
  /** Row indices scored with them (the recordings, later windows, test-time variants). */
  rows: Int32Array;
  /**
   * How many of these voices the training set's statistics count as beside this one's
   * (`eval.clipBatchNorm`: a clip alone gives too few frames for a layer's variance); absent
   * or 0, the voice's own statistics alone.
   */
  prior?: number;
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
 * A voice's statistics with the training set's counted as `prior` voices beside it (Schneider
 * et al. 2020, "Improving robustness against common corruptions by covariate shift
 * adaptation": a convex mix of the two means and of the two variances).
 */
function mixMoments(
  own: LayerMoments,
  trainedMean: Float32Array,
  trainedVariance: Float32Array,
  prior: number,
): LayerMoments {
  const w = prior / (prior + 1);
  return {
    mean: own.mean.map((m, c) => w * trainedMean[c] + (1 - w) * m),
    variance: own.variance.map((v, c) => w * trainedVariance[c] + (1 - w) * v),
  };
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
  prior = 0,
): LayerMoments[] {
  const norms = batchNormsOf(model);
  if (!norms.length) return [];
  const trained = trainedNormWeights(norms);
  const moments: LayerMoments[] = [];
  try {
    norms.forEach((layer, i) => {
      // What this layer reads, as a model of its own sharing the layers before it.
      const upTo = tf.model({ inputs: model.inputs, outputs: layer.input as tf.SymbolicTensor });
      const own = channelMoments(
        predictOutputs(upTo, x, rowShape, batchSize),
        trained[i][2].length,
      );
      const m = prior > 0 ? mixMoments(own, trained[i][2], trained[i][3], prior) : own;
      setMoments(layer, trained[i], m);
      moments.push(m);
    });
  } finally {
    restore(norms, trained);
  }
  return moments;
}

/**
 * Mean and spread per unit of what a network's first dense layer reads (its pooled embedding of
 * a clip), over the clips of a voice or of every training voice (`eval.voiceEmbeddingNorm`).
 */
export interface EmbeddingStats {
  mean: number[];
  scale: number[];
}

const firstDense = (model: tf.LayersModel) =>
  model.layers.find((l) => l.getClassName() === "Dense");

/** The pooled embeddings (what the first dense layer reads) of the rows of `x`, row-major. */
function embeddingsOf(
  model: tf.LayersModel,
  x: Float32Array,
  rowShape: readonly number[],
  batchSize = 256,
): { values: Float32Array; units: number } {
  const dense = firstDense(model);
  if (!dense) throw new Error("voice embedding statistics: the network has no dense layer");
  const input = dense.input as tf.SymbolicTensor;
  const units = input.shape[input.shape.length - 1] as number;
  const upTo = tf.model({ inputs: model.inputs, outputs: input });
  return { values: predictOutputs(upTo, x, rowShape, batchSize), units };
}

/** Mean and population spread per unit of `count` rows' embeddings added into `sum`/`sumSq`. */
function statsOf(sum: Float64Array, sumSq: Float64Array, count: number): EmbeddingStats {
  const mean = Array.from(sum, (v) => v / count);
  // The floor keeps a unit that never varies from dividing by zero; it is what the measurement used.
  const scale = mean.map((m, j) => Math.sqrt(Math.max(0, sumSq[j] / count - m * m)) + 1e-6);
  return { mean, scale };
}

function addRows(values: Float32Array, units: number, sum: Float64Array, sumSq: Float64Array) {
  for (let i = 0; i < values.length; i++) {
    sum[i % units] += values[i];
    sumSq[i % units] += values[i] * values[i];
  }
}

/** A voice's embedding statistics over the rows of `x`, its batch-norm layers carrying `moments`. */
export function voiceEmbeddingStats(
  model: tf.LayersModel,
  moments: readonly LayerMoments[],
  x: Float32Array,
  rowShape: readonly number[],
): EmbeddingStats {
  const { values, units } = withLayerMoments(
    model,
    moments,
    () => embeddingsOf(model, x, rowShape),
  );
  const sum = new Float64Array(units);
  const sumSq = new Float64Array(units);
  addRows(values, units, sum, sumSq);
  return statsOf(sum, sumSq, values.length / units);
}

/**
 * The embedding statistics of a network's training voices: each voice's `stats` rows of `x`
 * through the network with that voice's own batch-norm statistics, all of them pooled. What a
 * test voice's embeddings are mapped onto (`withLayerMoments`' `embedding`).
 */
export function trainingEmbeddingStats(
  model: tf.LayersModel,
  x: Float32Array,
  rowShape: readonly number[],
  voices: readonly VoiceRows[],
): EmbeddingStats {
  const size = rowSize(rowShape);
  let sum: Float64Array | null = null;
  let sumSq: Float64Array | null = null;
  let count = 0;
  for (const voice of voices) {
    if (!voice.stats.length) continue;
    const vx = pickRows(x, size, voice.stats);
    const moments = voiceLayerMoments(model, vx, rowShape);
    const { values, units } = withLayerMoments(
      model,
      moments,
      () => embeddingsOf(model, vx, rowShape),
    );
    sum ??= new Float64Array(units);
    sumSq ??= new Float64Array(units);
    addRows(values, units, sum, sumSq);
    count += values.length / units;
  }
  if (!sum || !sumSq) throw new Error("training embedding statistics: no training voice");
  return statsOf(sum, sumSq, count);
}

/** Checks a stored `EmbeddingStats` (the `embedding` of a member's scaler.json). */
export function parseEmbeddingStats(json: unknown, source: string): EmbeddingStats {
  const e = json as EmbeddingStats;
  const finite = (a: unknown) =>
    Array.isArray(a) && a.every((v) => typeof v === "number" && Number.isFinite(v));
  if (!e || !finite(e.mean) || !finite(e.scale) || e.mean.length !== e.scale.length) {
    throw new Error(`${source}: damaged embedding statistics (want {mean[n], scale[n]})`);
  }
  if (e.scale.some((v) => v <= 0)) {
    throw new Error(`${source}: damaged embedding statistics (a scale is not positive)`);
  }
  return e;
}

/** A test voice's embedding statistics and the training voices' they are mapped onto. */
export interface EmbeddingMap {
  voice: EmbeddingStats;
  training: EmbeddingStats;
}

/**
 * `run()`'s result with `model`'s batch-norm layers carrying `moments`, and, given `embedding`,
 * the first dense layer reading each pooled embedding standardised with the voice's statistics
 * and put back on the training voices' scale (folded into the layer's weights: z * a + b with a
 * = training scale / voice scale, b = training mean - voice mean * a). Put back afterwards.
 */
export function withLayerMoments<T>(
  model: tf.LayersModel,
  moments: readonly LayerMoments[],
  run: () => T,
  embedding?: EmbeddingMap,
): T {
  const norms = batchNormsOf(model);
  if (norms.length !== moments.length) {
    throw new Error(
      `voice statistics for ${moments.length} batch-norm layers, but the network has ${norms.length}`,
    );
  }
  const trained = trainedNormWeights(norms);
  const dense = embedding ? firstDense(model) : undefined;
  const denseWeights = dense?.getWeights().map((t) => t.dataSync().slice() as Float32Array);
  try {
    norms.forEach((layer, i) => setMoments(layer, trained[i], moments[i]));
    if (dense && denseWeights && embedding) {
      const [kernel, bias] = denseWeights;
      const inputs = embedding.voice.mean.length;
      const units = bias.length;
      if (kernel.length !== inputs * units) {
        throw new Error(`${dense.name}: embedding statistics for ${inputs} inputs do not fit`);
      }
      const k = new Float32Array(kernel.length);
      const b = Float64Array.from(bias);
      for (let i = 0; i < inputs; i++) {
        const a = embedding.training.scale[i] / embedding.voice.scale[i];
        const shift = embedding.training.mean[i] - embedding.voice.mean[i] * a;
        for (let j = 0; j < units; j++) {
          k[i * units + j] = a * kernel[i * units + j];
          b[j] += shift * kernel[i * units + j];
        }
      }
      tf.tidy(() =>
        dense.setWeights([tf.tensor(k, [inputs, units]), tf.tensor(Float32Array.from(b))])
      );
    }
    return run();
  } finally {
    restore(norms, trained);
    if (dense && denseWeights) {
      const [kernel, bias] = denseWeights;
      tf.tidy(() =>
        dense.setWeights([
          tf.tensor(kernel, dense.getWeights()[0].shape),
          tf.tensor(bias),
        ])
      );
    }
  }
}

/**
 * Class probabilities ([n, classes], row-major, as `predictProbabilities`) with each voice's
 * rows scored by the network whose batch-norm layers carry that voice's statistics
 * (`voiceLayerMoments` over the voice's `stats` rows) and, given the `training` voices'
 * embedding statistics, its pooled embeddings mapped onto theirs. Rows of no voice are scored
 * with the training statistics. The model's weights are the same afterwards as before.
 */
export function voiceAdaptedProbabilities(
  model: tf.LayersModel,
  x: Float32Array,
  rowShape: readonly number[],
  voices: readonly VoiceRows[],
  training?: EmbeddingStats,
  batchSize = 256,
): Float32Array {
  const out = predictProbabilities(model, x, rowShape, batchSize);
  if (!batchNormsOf(model).length) return out;
  const size = rowSize(rowShape);
  const classes = out.length / (x.length / size);
  for (const voice of voices) {
    if (!voice.stats.length) continue;
    const statX = pickRows(x, size, voice.stats);
    const moments = voiceLayerMoments(model, statX, rowShape, batchSize, voice.prior);
    const embedding = training
      ? { voice: voiceEmbeddingStats(model, moments, statX, rowShape), training }
      : undefined;
    const probs = withLayerMoments(
      model,
      moments,
      () => predictProbabilities(model, pickRows(x, size, voice.rows), rowShape, batchSize),
      embedding,
    );
    voice.rows.forEach((r, i) =>
      out.set(probs.subarray(i * classes, (i + 1) * classes), r * classes)
    );
  }
  return out;
}
