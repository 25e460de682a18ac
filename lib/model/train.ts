/**
 * The training loop: seeded shuffling and dropout, Adam, categorical cross-entropy, and Keras's
 * ReduceLROnPlateau. No Deno APIs, so it runs in a browser page too.
 *
 * Two engines run the step (`train.engine`): the static trainer (`static/`: fixed kernels over
 * flat buffers, the default) and tfjs's own per-op machinery (the reference). A hand-written loop
 * rather than `model.fit`: fit shuffles with Math.random and gives dropout
 * one fixed seed (the same mask every batch), so neither would make runs reproducible.
 */
import * as tf from "@tensorflow/tfjs";
import type { TrainConfig } from "../config/config.ts";
import { createRng, type Rng, shuffleInPlace } from "../util/random.ts";
import { classWeights, mixupRows, smoothLabels, specAugmentRows } from "./batch_augment.ts";
import { FusedAdam, fuseTrainingLayers } from "./fused.ts";
import { type Gemm, jsGemm } from "./gemm.ts";
import { createSplitGemm } from "./split_gemm.ts";
import { createWasmGemm } from "./gemm_wasm.ts";
import { compilePlan, readWeights, writeWeights } from "./static/plan.ts";
import { StaticNetwork } from "./static/network.ts";
import { reversalStrength, SpeakerAdversary } from "./static/adversary.ts";

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

export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  learningRate: number;
  seconds: number;
  valLoss?: number;
  valAccuracy?: number;
  /**
   * With a speaker adversary: how often its head named the training row's speaker this epoch
   * (chance is 1 / speakers; lower than the head could reach means the network hides the voice).
   */
  speakerAccuracy?: number;
}

export interface TrainHooks {
  val?: Samples;
  /** Awaited, so a notebook can redraw a chart before the next epoch starts. */
  onEpoch?: (record: EpochRecord) => void | Promise<void>;
  onBatch?: (batch: number, batches: number) => void;
  /**
   * The matrix multiply the static engine computes its products with (the portable WebAssembly
   * one when not given).
   */
  gemm?: Gemm;
}

export function rowSize(rowShape: readonly number[]): number {
  return rowShape.reduce((a, b) => a * b, 1);
}

/** A training batch, augmented as the config asks (masks on frame inputs, then mixup). */
function batchArrays(
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
  const speakers = new Int32Array(samples.speakers ? n : 0);
  for (let i = 0; i < n; i++) {
    const r = order[from + i];
    x.set(samples.x.subarray(r * size, (r + 1) * size), i * size);
    y[i * samples.classes + samples.labels[r]] = 1;
    if (samples.speakers) speakers[i] = samples.speakers[r];
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
  return { x, y, speakers };
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

/** Mean loss and accuracy of `model` on `samples` (inference mode). */
export function evaluateLoss(
  model: tf.LayersModel,
  samples: Samples,
  batchSize = 256,
): { loss: number; accuracy: number } {
  const probs = predictProbabilities(model, samples.x, samples.rowShape, batchSize);
  return lossAndAccuracy(probs, samples.labels, samples.classes);
}

/**
 * One engine's training step: what the loop below needs from tfjs's per-op machinery or from the
 * static trainer. `step` trains on the batch it is given and returns its mean loss and hits.
 */
interface Stepper {
  step(
    x: Float32Array,
    y: Float32Array,
    n: number,
    dropoutSeeds: number[],
    lr: number,
    adversary: AdversaryBatch | null,
  ): Promise<{ loss: number; hits: number; speakerHits?: number }>;
  evaluate(samples: Samples): { loss: number; accuracy: number };
  getWeights(): Float32Array[];
  setWeights(values: Float32Array[]): void;
  /** Brings the tfjs model's weights up to date (each epoch's hooks see the model as trained). */
  sync(): void;
  /** Leaves the trained weights in the tfjs model and frees what the engine holds. */
  finish(): void;
}

/** A batch's speakers and the reversal strength of the speaker adversary at this point. */
interface AdversaryBatch {
  speakers: Int32Array;
  strength: number;
}

/** Dropout layers of `model`, in order: each gets one seed per batch. */
function dropoutLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.getClassName() === "Dropout");
}

function tfjsStepper(model: tf.LayersModel, cfg: TrainConfig, classWeights: Float32Array | null) {
  const fused = cfg.kernels === "fused";
  const optimizer = fused ? new FusedAdam(cfg.learningRate) : tf.train.adam(cfg.learningRate);
  const unfuse = fused ? fuseTrainingLayers(model) : () => {};
  const weights = classWeights ? tf.tensor1d(classWeights) : undefined;
  const kernels = cfg.weightDecay > 0 ? decayedKernels(model) : [];
  const dropouts = dropoutLayers(model);
  const stepper: Stepper = {
    async step(xv, yv, n, seeds, lr) {
      setLearningRate(optimizer, lr);
      dropouts.forEach((layer, i) => (layer as unknown as { seed?: number }).seed = seeds[i]);
      const classes = yv.length / n;
      const x = tf.tensor(xv, [n, ...(model.inputs[0].shape.slice(1) as number[])]);
      const y = tf.tensor2d(yv, [n, classes]);
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
      const out = { loss: (await loss.data())[0], hits: (await hits!.data())[0] };
      tf.dispose([x, y, loss, hits!]);
      return out;
    },
    evaluate: (samples) => evaluateLoss(model, samples),
    getWeights: () => model.getWeights().map((w) => Float32Array.from(w.dataSync())),
    setWeights(values) {
      const shapes = model.getWeights().map((w) => w.shape);
      const tensors = values.map((v, i) => tf.tensor(v, shapes[i]));
      model.setWeights(tensors);
      tf.dispose(tensors);
    },
    sync() {},
    finish() {
      if (!(optimizer instanceof FusedAdam)) optimizer.dispose();
      unfuse();
      weights?.dispose();
      for (const layer of dropouts) (layer as unknown as { seed?: number }).seed = undefined;
    },
  };
  return stepper;
}

function staticStepper(
  model: tf.LayersModel,
  cfg: TrainConfig,
  classWeights: Float32Array | null,
  gemm: Gemm,
  speakerCount: number,
  seed: number,
): Stepper {
  const plan = compilePlan(model);
  const net = new StaticNetwork(plan, cfg.batchSize, gemm, readWeights(model, plan));
  // The adversary reads the pooled embedding: everything the classifier sees of a clip.
  const tap = plan.ops.findIndex((op) => op.kind === "timePool");
  if (cfg.speakerAdversary > 0 && tap < 0) {
    throw new Error("train.speakerAdversary: the network has no pooling over time to read");
  }
  const head = cfg.speakerAdversary > 0
    ? new SpeakerAdversary(plan.outSizes[tap], speakerCount, cfg.batchSize, seed ^ 0xad7)
    : null;
  return {
    step(x, y, n, seeds, lr, adversary) {
      net.input.set(x);
      net.target.set(y);
      net.forward(n, true, seeds);
      const out = net.lossBackward(classWeights);
      let speakerHits: number | undefined;
      if (head && adversary) {
        speakerHits = head.step(
          net.activation(tap),
          adversary.speakers,
          n,
          adversary.strength,
          lr,
        ).hits;
        net.backward({ at: tap, grad: head.embeddingGrad });
      } else net.backward();
      net.adam(lr, cfg.weightDecay);
      return Promise.resolve({ ...out, speakerHits });
    },
    evaluate(samples) {
      return lossAndAccuracy(net.predict(samples.x), samples.labels, samples.classes);
    },
    getWeights: () => [Float32Array.from(net.weights)],
    setWeights: (values) => net.weights.set(values[0]),
    sync: () => writeWeights(model, plan, net.weights, (v, shape) => tf.tensor(v, shape)),
    finish() {
      this.sync();
    },
  };
}

/**
 * Trains `model` in place on `train`: `cfg.epochs` epochs of seeded shuffling, batch
 * augmentation, dropout and Adam, with the configured learning-rate schedule. The engine
 * (`cfg.engine`) is the static trainer (`static/`, its products on `hooks.gemm`) or tfjs's
 * own machinery; either way the trained weights end up in `model`.
 */
export async function trainModel(
  model: tf.LayersModel,
  train: Samples,
  cfg: TrainConfig,
  seed: number,
  hooks: TrainHooks = {},
): Promise<EpochRecord[]> {
  const n = train.labels.length;
  if (n === 0) throw new Error("training: no training rows");
  const rowWeights = cfg.classBalance
    ? Float32Array.from(classWeights(train.labels, train.classes))
    : null;
  const adversarial = cfg.speakerAdversary > 0;
  if (adversarial && cfg.engine !== "static") {
    throw new Error(
      "train.speakerAdversary needs train.engine=static (tfjs's engine has no such head)",
    );
  }
  if (adversarial && !(train.speakers && (train.speakerCount ?? 0) >= 2)) {
    throw new Error(
      "train.speakerAdversary: the training rows name fewer than 2 speakers (nothing to tell apart)",
    );
  }
  let engine: Stepper;
  if (cfg.engine === "static") {
    // Without a GEMM from the caller: the portable one, in the same two halves as a run's.
    const gemm = hooks.gemm ?? createSplitGemm(createWasmGemm() ?? jsGemm);
    engine = staticStepper(model, cfg, rowWeights, gemm, train.speakerCount ?? 0, seed);
  } else engine = tfjsStepper(model, cfg, rowWeights);
  const rng = createRng(seed);
  const history: EpochRecord[] = [];
  const batches = Math.ceil(n / cfg.batchSize);
  const dropouts = dropoutLayers(model).length;
  let lr = cfg.learningRate;
  let best = Infinity;
  let wait = 0;
  const order = new Int32Array(n);
  // Batch augmentation draws from its own stream, so turning it on leaves shuffling unchanged.
  const augmentRng = createRng(seed ^ 0x5eed);
  const averaged = cfg.averageLast > 0 ? new WeightAverage(engine) : null;
  // Whatever ends training (the last epoch, a diverging loss, a hook that throws), the model
  // gets its weights, layers and dropout back and the engine's state is freed.
  try {
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      const start = performance.now();
      if (cfg.lrSchedule === "cosine") {
        lr = cosineRate(cfg.learningRate, cfg.minLr, epoch, cfg.epochs);
      }
      for (let i = 0; i < n; i++) order[i] = i;
      shuffleInPlace(rng, order);
      let lossSum = 0;
      let correct = 0;
      let speakerCorrect = 0;
      for (let b = 0; b < batches; b++) {
        const from = b * cfg.batchSize;
        const to = Math.min(n, from + cfg.batchSize);
        const seeds = Array.from({ length: dropouts }, () => rng.int(0, 2 ** 31));
        const { x, y, speakers } = batchArrays(train, order, from, to, cfg, augmentRng);
        const adversary = adversarial
          ? {
            speakers,
            strength: reversalStrength(
              cfg.speakerAdversary,
              (epoch - 1 + b / batches) / cfg.epochs,
            ),
          }
          : null;
        const { loss: batchLoss, hits, speakerHits } = await engine.step(
          x,
          y,
          to - from,
          seeds,
          lr,
          adversary,
        );
        if (!Number.isFinite(batchLoss)) {
          throw new Error(
            `training diverged: the loss is ${batchLoss} at epoch ${epoch}, batch ${b + 1} of ` +
              `${batches} (learning rate ${lr}); nothing from this network is kept. Lower ` +
              `train.learningRate, or check the inputs for extreme values`,
          );
        }
        lossSum += batchLoss * (to - from);
        correct += hits;
        speakerCorrect += speakerHits ?? 0;
        hooks.onBatch?.(b + 1, batches);
      }
      const record: EpochRecord = {
        epoch,
        loss: lossSum / n,
        accuracy: correct / n,
        learningRate: lr,
        seconds: (performance.now() - start) / 1000,
      };
      if (adversarial) record.speakerAccuracy = speakerCorrect / n;
      if (hooks.val && hooks.val.labels.length) {
        const v = engine.evaluate(hooks.val);
        record.valLoss = v.loss;
        record.valAccuracy = v.accuracy;
      }
      history.push(record);
      if (hooks.onEpoch) {
        engine.sync();
        await hooks.onEpoch(record);
      }
      if (averaged && epoch > cfg.epochs - cfg.averageLast) averaged.add();
      // ReduceLROnPlateau(monitor="loss", factor, patience, min_lr), Keras semantics:
      // an improvement must beat the best by min_delta 1e-4; cooldown 0.
      if (cfg.lrSchedule === "cosine") continue;
      if (record.loss < best - 1e-4) {
        best = record.loss;
        wait = 0;
      } else if (++wait >= cfg.lrPatience) {
        if (lr > cfg.minLr) lr = Math.max(lr * cfg.lrFactor, cfg.minLr);
        wait = 0;
      }
    }
    averaged?.apply();
  } finally {
    engine.finish();
  }
  return history;
}

/** Mean clipped cross-entropy and accuracy of probabilities `probs` ([n, classes]). */
function lossAndAccuracy(
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

/** Epoch `epoch` of `epochs` (from 1): half a cosine from `lr0` down to `minLr`. */
export function cosineRate(lr0: number, minLr: number, epoch: number, epochs: number): number {
  return minLr + 0.5 * (lr0 - minLr) * (1 + Math.cos((Math.PI * (epoch - 1)) / epochs));
}

/** A running sum of a network's weights (all of them, batch-norm statistics too). */
class WeightAverage {
  #sums: Float64Array[] | null = null;
  #count = 0;
  constructor(private engine: Stepper) {}
  add(): void {
    const values = this.engine.getWeights();
    this.#sums ??= values.map((v) => new Float64Array(v.length));
    values.forEach((v, i) => {
      const s = this.#sums![i];
      for (let j = 0; j < v.length; j++) s[j] += v[j];
    });
    this.#count++;
  }
  /** Sets the network's weights to the mean of those added. */
  apply(): void {
    if (!this.#sums) return;
    this.engine.setWeights(this.#sums.map((s) => Float32Array.from(s, (v) => v / this.#count)));
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
