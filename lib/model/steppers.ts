/**
 * One training step on each engine (`train.engine`): the static trainer (`static/`: fixed
 * kernels over flat buffers) and tfjs's own per-op machinery (the reference). The training loop
 * (`train.ts`) sees only the `Stepper` either returns. No Deno APIs.
 */
import * as tf from "@tensorflow/tfjs";
import type { TrainConfig } from "../config/config.ts";
import { FusedAdam, fuseTrainingLayers } from "./fused.ts";
import type { Gemm } from "./gemm.ts";
import { compilePlan, readWeights, writeWeights } from "./static/plan.ts";
import { StaticNetwork } from "./static/network.ts";
import { SpeakerAdversary } from "./static/adversary.ts";
import { evaluateLoss, lossAndAccuracy, type Samples } from "./samples.ts";

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
 * One engine's training step: what the loop below needs from tfjs's per-op machinery or from the
 * static trainer. `step` trains on the batch it is given and returns its mean loss and hits.
 */
export interface Stepper {
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
export interface AdversaryBatch {
  speakers: Int32Array;
  strength: number;
}

/** Dropout layers of `model`, in order: each gets one seed per batch. */
export function dropoutLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.getClassName() === "Dropout");
}

export function tfjsStepper(
  model: tf.LayersModel,
  cfg: TrainConfig,
  classWeights: Float32Array | null,
): Stepper {
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

export function staticStepper(
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
