/**
 * Fused training ops (`train.kernels=fused`) against tfjs's own: batch norm and ReLU values and
 * gradients, Adam's updates, and a few epochs of the temporal network trained both ways.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "./assert.ts";
import { batchNormTraining, FusedAdam, fuseTrainingLayers, reluFused } from "../lib/model/fused.ts";
import { useTrainingBackend } from "../lib/model/backend.ts";
import { jsGemm } from "../lib/model/gemm.ts";
import { buildTemporalModel } from "../lib/model/networks.ts";
import { predictProbabilities, trainModel } from "../lib/model/train.ts";
import { DEFAULT_CONFIG } from "../lib/config/config.ts";
import { createRng } from "../lib/util/random.ts";

await tf.setBackend("cpu");
(tf.backend() as unknown as { firstUse: boolean }).firstUse = false;

function random(shape: number[], seed: number, offset = 0): tf.Tensor {
  const rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal() + offset), shape);
}

function maxRelDiff(a: tf.Tensor | Float32Array, b: tf.Tensor | Float32Array): number {
  const x = a instanceof Float32Array ? a : a.dataSync();
  const y = b instanceof Float32Array ? b : b.dataSync();
  assertEquals(x.length, y.length);
  let scale = 0;
  for (let i = 0; i < y.length; i++) scale = Math.max(scale, Math.abs(y[i]));
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m / Math.max(scale, 1e-12);
}

Deno.test("fused batch norm: output, batch statistics and all three gradients match tfjs's ops", () => {
  const x = random([4, 9, 6], 1, 2);
  const gamma = random([6], 2, 1) as tf.Tensor1D;
  const beta = random([6], 3) as tf.Tensor1D;
  const dy = random([4, 9, 6], 4);
  const eps = 1e-3;
  const stock = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(a, [0, 1]);
    return tf.batchNorm(a, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, eps);
  };
  const fused = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    batchNormTraining(a, g as tf.Tensor1D, b as tf.Tensor1D, eps).y;
  const want = tf.grads(stock)([x, gamma, beta], dy);
  const got = tf.grads(fused)([x, gamma, beta], dy);
  assert(maxRelDiff(fused(x, gamma, beta), stock(x, gamma, beta)) < 1e-5, "output");
  ["dx", "dgamma", "dbeta"].forEach((what, i) => {
    const d = maxRelDiff(got[i], want[i]);
    assert(d < 1e-4, `${what} differs by ${d} (relative to its largest value)`);
  });
  const { mean, variance } = tf.moments(x, [0, 1]);
  const stats = batchNormTraining(x, gamma, beta, eps);
  assert(maxRelDiff(stats.mean, mean.dataSync() as Float32Array) < 1e-6, "batch mean");
  assert(maxRelDiff(stats.variance, variance.dataSync() as Float32Array) < 1e-5, "batch var");
});

Deno.test("fused ReLU: same output, gradient dy where the output is positive (zeros and -0 get none)", () => {
  const x = tf.tensor1d([1, -1, 0, -0, 2.5, -1e-30, 1e-30, 7]);
  const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8]);
  assertEquals(Array.from(reluFused(x).dataSync()), Array.from(tf.relu(x).dataSync()));
  assertEquals(Array.from(tf.grad(reluFused)(x, dy).dataSync()), [1, 0, 0, 0, 5, 0, 7, 8]);
  assertEquals(
    Array.from(tf.grad(reluFused)(x, dy).dataSync()),
    Array.from(tf.grad((a) => tf.relu(a))(x, dy).dataSync()),
  );
});

Deno.test("fused Adam takes tfjs Adam's steps (bias correction, epsilon, a learning-rate change)", () => {
  const run = (fused: boolean) => {
    const w = tf.variable(random([5, 3], 5), true, `w${fused}`);
    const b = tf.variable(tf.zeros([3]), true, `b${fused}`);
    const x = random([7, 5], 6);
    const opt = fused ? new FusedAdam(0.01) : tf.train.adam(0.01);
    const loss = () => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), 1))) as tf.Scalar;
    for (let step = 0; step < 20; step++) {
      if (step === 10) (opt as unknown as { learningRate: number }).learningRate = 0.003;
      const l = opt instanceof FusedAdam ? opt.minimize(loss) : opt.minimize(loss, true)!;
      l.dispose();
    }
    const out = [w.dataSync().slice() as Float32Array, b.dataSync().slice() as Float32Array];
    w.dispose();
    b.dispose();
    return out;
  };
  const [wStock, bStock] = run(false);
  const [wFused, bFused] = run(true);
  assert(maxRelDiff(wFused, wStock) < 1e-5, `weights ${maxRelDiff(wFused, wStock)}`);
  assert(maxRelDiff(bFused, bStock) < 1e-5, `biases ${maxRelDiff(bFused, bStock)}`);
});

Deno.test("the temporal network trains the same with fused and stock kernels, up to float rounding", async () => {
  const backend = await useTrainingBackend(jsGemm);
  try {
    const rng = createRng(3);
    const n = 96;
    const data = {
      x: Float32Array.from({ length: n * 20 * 6 }, () => rng.normal()),
      rowShape: [20, 6],
      labels: Int32Array.from({ length: n }, (_, i) => i % 4),
      classes: 4,
    };
    const temporal = { ...DEFAULT_CONFIG.temporal, filters: [8, 12, 12], denseUnits: 8 };
    const train = async (kernels: "fused" | "stock") => {
      const model = buildTemporalModel(20, 6, 4, temporal, 7);
      // The tfjs engine: `kernels` chooses its per-op kernels (the static engine has its own).
      const cfg = {
        ...DEFAULT_CONFIG.train,
        engine: "tfjs" as const,
        epochs: 4,
        batchSize: 32,
        kernels,
      };
      const history = await trainModel(model, data, cfg, 5);
      const probs = predictProbabilities(model, data.x, data.rowShape);
      const moving = model.getLayer("bn2").getWeights().map((w) => w.dataSync().slice());
      model.dispose();
      return { losses: history.map((h) => h.loss), probs, moving };
    };
    const stock = await train("stock");
    const fused = await train("fused");
    // Rounding differences compound over 12 Adam steps; 1e-3 relative is far below the
    // epoch-to-epoch change of the loss (about 1e-1 here).
    stock.losses.forEach((l, i) => {
      assert(
        Math.abs(fused.losses[i] - l) < 1e-3 * l,
        `epoch ${i + 1}: ${fused.losses[i]} vs ${l}`,
      );
    });
    assert(maxRelDiff(fused.probs, stock.probs) < 1e-3, "predictions after training");
    fused.moving.forEach((w, i) =>
      assert(
        maxRelDiff(w as Float32Array, stock.moving[i] as Float32Array) < 1e-3,
        `bn2 weight ${i}`,
      )
    );
  } finally {
    backend.restore();
  }
});

Deno.test("fuseTrainingLayers leaves inference alone and gives the layers back", () => {
  const model = buildTemporalModel(10, 3, 4, { ...DEFAULT_CONFIG.temporal, filters: [4, 4] }, 1);
  const x = random([2, 10, 3], 9);
  const before = (model.predict(x) as tf.Tensor).dataSync().slice();
  const stockCalls = model.layers.map((l) => (l as unknown as { call: unknown }).call);
  const unfuse = fuseTrainingLayers(model);
  const changed = model.layers.filter((l, i) =>
    (l as unknown as { call: unknown }).call !== stockCalls[i]
  );
  assertEquals(changed.map((l) => l.getClassName()).sort(), [
    "BatchNormalization",
    "BatchNormalization",
    "ReLU",
    "ReLU",
  ]);
  assertEquals(Array.from((model.predict(x) as tf.Tensor).dataSync()), Array.from(before));
  unfuse();
  model.layers.forEach((l, i) =>
    assert((l as unknown as { call: unknown }).call === stockCalls[i])
  );
});
