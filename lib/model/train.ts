/**
 * The training loop: seeded shuffling and dropout, Adam, categorical cross-entropy, and Keras's
 * ReduceLROnPlateau. Pure tfjs (no Deno APIs), so it runs in a browser page too.
 *
 * A hand-written loop rather than `model.fit`: fit shuffles with Math.random and gives dropout
 * one fixed seed (the same mask every batch), so neither would make runs reproducible.
 */
import * as tf from "@tensorflow/tfjs";
import type { TrainConfig } from "../config/config.ts";
import { createRng, type Rng, shuffleInPlace } from "../util/random.ts";
import { classWeights, mixupRows, smoothLabels, specAugmentRows } from "./batch_augment.ts";
import { FusedAdam, fuseTrainingLayers } from "./fused.ts";

/** Row-major samples: `x` holds n rows of `rowShape`, `labels` the class index per row. */
export interface Samples {
  x: Float32Array;
  rowShape: number[];
  labels: Int32Array;
  classes: number;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  learningRate: number;
  seconds: number;
  valLoss?: number;
  valAccuracy?: number;
}

export interface TrainHooks {
  val?: Samples;
  /** Awaited, so a notebook can redraw a chart before the next epoch starts. */
  onEpoch?: (record: EpochRecord) => void | Promise<void>;
  onBatch?: (batch: number, batches: number) => void;
}

export function rowSize(rowShape: readonly number[]): number {
  return rowShape.reduce((a, b) => a * b, 1);
}

/** A training batch, augmented as the config asks (masks on frame inputs, then mixup). */
function batchTensors(
  samples: Samples,
  order: ArrayLike<number>,
  from: number,
  to: number,
  cfg?: TrainConfig,
  rng?: Rng,
) {
  const size = rowSize(samples.rowShape);
  const n = to - from;
  const x = new Float32Array(n * size);
  const y = new Float32Array(n * samples.classes);
  for (let i = 0; i < n; i++) {
    const r = order[from + i];
    x.set(samples.x.subarray(r * size, (r + 1) * size), i * size);
    y[i * samples.classes + samples.labels[r]] = 1;
  }
  if (cfg && rng) {
    const [frames, dims] = samples.rowShape;
    // Masks only make sense on [frames, bands] inputs; the seed model's [162, 1] rows skip them.
    if (dims > 1 && (cfg.specTimeMasks > 0 || cfg.specFreqMasks > 0)) {
      specAugmentRows(x, n, frames, dims, {
        timeMasks: cfg.specTimeMasks,
        timeWidth: cfg.specTimeWidth,
        freqMasks: cfg.specFreqMasks,
        freqWidth: cfg.specFreqWidth,
      }, rng);
    }
    if (cfg.mixupAlpha > 0) mixupRows(x, y, n, samples.classes, cfg.mixupAlpha, rng);
    if (cfg.labelSmoothing > 0) smoothLabels(y, samples.classes, cfg.labelSmoothing);
  }
  return {
    x: tf.tensor(x, [n, ...samples.rowShape]),
    y: tf.tensor2d(y, [n, samples.classes]),
  };
}

/**
 * Keras's categorical cross-entropy on probabilities (clipped to [1e-7, 1 - 1e-7]), each row
 * weighted by its target's class weight when `weights` is given.
 */
function crossEntropy(y: tf.Tensor, p: tf.Tensor, weights?: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const clipped = tf.clipByValue(p, 1e-7, 1 - 1e-7);
    const target = weights ? tf.mul(y, weights) : y;
    return tf.mean(tf.neg(tf.sum(tf.mul(target, tf.log(clipped)), -1))) as tf.Scalar;
  });
}

/**
 * The kernels weight decay shrinks: conv and dense weight matrices, not biases or batch-norm
 * scales and shifts (decaying those only moves the normalisation).
 */
function decayedKernels(model: tf.LayersModel): tf.LayerVariable[] {
  return model.trainableWeights.filter((w) => /kernel$/.test(w.originalName));
}

function setLearningRate(optimizer: tf.Optimizer | FusedAdam, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

/**
 * Give each Dropout layer a fresh seed per batch, drawn from the run's generator: masks differ
 * from batch to batch and repeat from run to run.
 */
function reseedDropout(model: tf.LayersModel, next: () => number): void {
  for (const layer of model.layers) {
    if (layer.getClassName() === "Dropout") (layer as unknown as { seed?: number }).seed = next();
  }
}

/** Mean loss and accuracy of `model` on `samples` (inference mode). */
export function evaluateLoss(
  model: tf.LayersModel,
  samples: Samples,
  batchSize = 256,
): { loss: number; accuracy: number } {
  const probs = predictProbabilities(model, samples.x, samples.rowShape, batchSize);
  const k = samples.classes;
  let loss = 0;
  let correct = 0;
  const n = samples.labels.length;
  for (let i = 0; i < n; i++) {
    const t = samples.labels[i];
    const p = Math.min(Math.max(probs[i * k + t], 1e-7), 1 - 1e-7);
    loss -= Math.log(p);
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + best]) best = c;
    if (best === t) correct++;
  }
  return { loss: loss / n, accuracy: correct / n };
}

export async function trainModel(
  model: tf.LayersModel,
  train: Samples,
  cfg: TrainConfig,
  seed: number,
  hooks: TrainHooks = {},
): Promise<EpochRecord[]> {
  const n = train.labels.length;
  if (n === 0) throw new Error("training: no training rows");
  const fused = cfg.kernels === "fused";
  const optimizer = fused ? new FusedAdam(cfg.learningRate) : tf.train.adam(cfg.learningRate);
  const unfuse = fused ? fuseTrainingLayers(model) : () => {};
  const rng = createRng(seed);
  const history: EpochRecord[] = [];
  const batches = Math.ceil(n / cfg.batchSize);
  let lr = cfg.learningRate;
  let best = Infinity;
  let wait = 0;
  const order = new Int32Array(n);
  const weights = cfg.classBalance
    ? tf.tensor1d(classWeights(train.labels, train.classes))
    : undefined;
  // Batch augmentation draws from its own stream, so turning it on leaves shuffling unchanged.
  const augmentRng = createRng(seed ^ 0x5eed);
  const kernels = cfg.weightDecay > 0 ? decayedKernels(model) : [];
  const averaged = cfg.averageLast > 0 ? new WeightAverage(model) : null;
  // Whatever ends training (the last epoch, a diverging loss, a hook that throws), the model
  // gets its own layers and dropout back and the optimizer's state is freed.
  try {
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      const start = performance.now();
      if (cfg.lrSchedule === "cosine") {
        lr = cosineRate(cfg.learningRate, cfg.minLr, epoch, cfg.epochs);
        setLearningRate(optimizer, lr);
      }
      for (let i = 0; i < n; i++) order[i] = i;
      shuffleInPlace(rng, order);
      let lossSum = 0;
      let correct = 0;
      for (let b = 0; b < batches; b++) {
        const from = b * cfg.batchSize;
        const to = Math.min(n, from + cfg.batchSize);
        reseedDropout(model, () => rng.int(0, 2 ** 31));
        const { x, y } = batchTensors(train, order, from, to, cfg, augmentRng);
        let hits: tf.Tensor | null = null;
        const lossOf = () => {
          const p = model.apply(x, { training: true }) as tf.Tensor;
          hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(p, -1), tf.argMax(y, -1)), "float32")));
          return crossEntropy(y, p, weights);
        };
        const loss = optimizer instanceof FusedAdam
          ? optimizer.minimize(lossOf)
          : optimizer.minimize(lossOf, true) as tf.Scalar;
        // Decoupled from the gradient (AdamW): Adam's per-weight scaling would otherwise shrink
        // rarely-updated weights more than often-updated ones.
        if (kernels.length) {
          const keep = 1 - lr * cfg.weightDecay;
          tf.tidy(() => kernels.forEach((w) => w.write(tf.mul(w.read(), keep))));
        }
        const batchLoss = (await loss.data())[0];
        if (!Number.isFinite(batchLoss)) {
          tf.dispose([x, y, loss, hits!]);
          throw new Error(
            `training diverged: the loss is ${batchLoss} at epoch ${epoch}, batch ${b + 1} of ` +
              `${batches} (learning rate ${lr}); nothing from this network is kept. Lower ` +
              `train.learningRate, or check the inputs for extreme values`,
          );
        }
        lossSum += batchLoss * (to - from);
        correct += (await hits!.data())[0];
        tf.dispose([x, y, loss, hits!]);
        hooks.onBatch?.(b + 1, batches);
      }
      const record: EpochRecord = {
        epoch,
        loss: lossSum / n,
        accuracy: correct / n,
        learningRate: lr,
        seconds: (performance.now() - start) / 1000,
      };
      if (hooks.val && hooks.val.labels.length) {
        const v = evaluateLoss(model, hooks.val);
        record.valLoss = v.loss;
        record.valAccuracy = v.accuracy;
      }
      history.push(record);
      await hooks.onEpoch?.(record);
      if (averaged && epoch > cfg.epochs - cfg.averageLast) averaged.add();
      // ReduceLROnPlateau(monitor="loss", factor, patience, min_lr), Keras semantics:
      // an improvement must beat the best by min_delta 1e-4; cooldown 0.
      if (cfg.lrSchedule === "cosine") continue;
      if (record.loss < best - 1e-4) {
        best = record.loss;
        wait = 0;
      } else if (++wait >= cfg.lrPatience) {
        if (lr > cfg.minLr) {
          lr = Math.max(lr * cfg.lrFactor, cfg.minLr);
          setLearningRate(optimizer, lr);
        }
        wait = 0;
      }
    }
    averaged?.apply();
  } finally {
    if (!(optimizer instanceof FusedAdam)) optimizer.dispose();
    unfuse();
    weights?.dispose();
    for (const layer of model.layers) {
      if (layer.getClassName() === "Dropout") {
        (layer as unknown as { seed?: number }).seed = undefined;
      }
    }
  }
  return history;
}

/** Epoch `epoch` of `epochs` (from 1): half a cosine from `lr0` down to `minLr`. */
export function cosineRate(lr0: number, minLr: number, epoch: number, epochs: number): number {
  return minLr + 0.5 * (lr0 - minLr) * (1 + Math.cos((Math.PI * (epoch - 1)) / epochs));
}

/** A running sum of a model's weights (all of them, batch-norm statistics too). */
class WeightAverage {
  #sums: Float64Array[] | null = null;
  #count = 0;
  constructor(private model: tf.LayersModel) {}
  add(): void {
    const values = this.model.getWeights().map((w) => w.dataSync());
    this.#sums ??= values.map((v) => new Float64Array(v.length));
    values.forEach((v, i) => {
      const s = this.#sums![i];
      for (let j = 0; j < v.length; j++) s[j] += v[j];
    });
    this.#count++;
  }
  /** Sets the model's weights to the mean of those added. */
  apply(): void {
    if (!this.#sums) return;
    const shapes = this.model.getWeights().map((w) => w.shape);
    const mean = this.#sums.map((s, i) =>
      tf.tensor(Float32Array.from(s, (v) => v / this.#count), shapes[i])
    );
    this.model.setWeights(mean);
    tf.dispose(mean);
  }
}

/** Class probabilities, row-major [n, classes], computed in batches in inference mode. */
export function predictProbabilities(
  model: tf.LayersModel,
  x: Float32Array,
  rowShape: readonly number[],
  batchSize = 256,
): Float32Array {
  const size = rowSize(rowShape);
  const n = x.length / size;
  const classes = (model.outputs[0].shape[1]) as number;
  const out = new Float32Array(n * classes);
  for (let from = 0; from < n; from += batchSize) {
    const to = Math.min(n, from + batchSize);
    const probs = tf.tidy(() => {
      const xb = tf.tensor(x.subarray(from * size, to * size), [to - from, ...rowShape]);
      return model.predict(xb) as tf.Tensor;
    });
    out.set(probs.dataSync() as Float32Array, from * classes);
    probs.dispose();
  }
  return out;
}
