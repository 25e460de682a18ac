/**
 * The training loop: seeded shuffling and dropout, Adam, categorical cross-entropy, and Keras's
 * ReduceLROnPlateau. No Deno APIs, so it runs in a browser page too.
 *
 * Two engines run the step (`train.engine`): the static trainer (`static/`: fixed kernels over
 * flat buffers, the default) and tfjs's own per-op machinery (the reference). A hand-written loop
 * rather than `model.fit`: fit shuffles with Math.random and gives dropout
 * one fixed seed (the same mask every batch), so neither would make runs reproducible.
 */
import type * as tf from "@tensorflow/tfjs";
import type { TrainConfig } from "../config/config.ts";
import { createRng, type Rng, shuffleInPlace } from "../util/random.ts";
import {
  classWeights,
  mixupRows,
  smoothLabels,
  specAugmentRows,
  voiceColumnStats,
  voiceSwapRows,
} from "./batch_augment.ts";
import { type Gemm, jsGemm } from "./gemm.ts";
import type { Scaler } from "../normalise/scaler.ts";
import { createSplitGemm } from "./split_gemm.ts";
import { createWasmGemm } from "./gemm_wasm.ts";
import { reversalStrength } from "./static/adversary.ts";
import { rowSize, type Samples } from "./samples.ts";
import { dropoutLayers, staticStepper, type Stepper, tfjsStepper } from "./steppers.ts";

export { evaluateLoss, predictProbabilities, rowSize, type Samples } from "./samples.ts";

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

/** A training batch, augmented as the config asks (masks on frame inputs, then mixup). */
function batchArrays(
  samples: Samples,
  order: ArrayLike<number>,
  from: number,
  to: number,
  cfg?: TrainConfig,
  rng?: Rng,
  voices?: readonly Scaler[],
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
    // A voice first, so masks and mixup act on the row as another speaker would give it.
    if (voices && cfg.voiceSwap > 0) {
      voiceSwapRows(x, speakers, n, frames, dims, voices, cfg.voiceSwap, rng);
    }
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
 * Batches of one speaker each (`train.voiceBatches`): `order` (already shuffled) regrouped in
 * place so that each speaker's rows are consecutive and cut into batches of at most
 * `batchSize`, the batches themselves in a seeded random order. Returns where each batch starts,
 * and `order.length` last. Batch norm then normalises each batch with one voice's statistics,
 * as `eval.voiceBatchNorm` does with a test voice's.
 */
export function voiceBatchStarts(
  order: Int32Array,
  speakers: Int32Array,
  batchSize: number,
  rng: Rng,
): number[] {
  const bySpeaker = new Map<number, number[]>();
  for (const r of order) {
    const s = speakers[r];
    let rows = bySpeaker.get(s);
    if (!rows) bySpeaker.set(s, rows = []);
    rows.push(r);
  }
  const chunks: number[][] = [];
  for (const rows of bySpeaker.values()) {
    for (let at = 0; at < rows.length; at += batchSize) chunks.push(rows.slice(at, at + batchSize));
  }
  shuffleInPlace(rng, chunks);
  const starts: number[] = [];
  let at = 0;
  for (const chunk of chunks) {
    starts.push(at);
    order.set(chunk, at);
    at += chunk.length;
  }
  starts.push(at);
  return starts;
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
  if (cfg.voiceBatches && !train.speakers) {
    throw new Error("train.voiceBatches: the training rows name no speakers");
  }
  if (cfg.voiceSwap > 0 && !(train.speakers && train.speakerCount && train.rowShape.length === 2)) {
    throw new Error(
      "train.voiceSwap: needs frame inputs ([frames, dims] rows) whose training rows name their speakers",
    );
  }
  const voices = cfg.voiceSwap > 0
    ? voiceColumnStats(
      train.x,
      train.speakers!,
      train.speakerCount!,
      train.rowShape[0],
      train.rowShape[1],
    )
    : undefined;
  const evenStarts = Array.from(
    { length: Math.ceil(n / cfg.batchSize) + 1 },
    (_, b) => Math.min(n, b * cfg.batchSize),
  );
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
      const starts = cfg.voiceBatches
        ? voiceBatchStarts(order, train.speakers!, cfg.batchSize, rng)
        : evenStarts;
      const batches = starts.length - 1;
      let lossSum = 0;
      let correct = 0;
      let speakerCorrect = 0;
      for (let b = 0; b < batches; b++) {
        const from = starts[b];
        const to = starts[b + 1];
        const seeds = Array.from({ length: dropouts }, () => rng.int(0, 2 ** 31));
        const { x, y, speakers } = batchArrays(train, order, from, to, cfg, augmentRng, voices);
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
