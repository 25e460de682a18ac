/**
 * The training backend and models: the im2col+GEMM and fast element-wise kernels against tfjs's
 * stock cpu kernels (values and gradients), native BLAS against the JavaScript GEMM, seeded
 * training, the learning-rate schedule, and a save/load round trip.
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { jsGemm } from "../lib/model/gemm.ts";
import { registerFastCpuKernels } from "../lib/model/cpu_kernels.ts";
import { useTrainingBackend } from "../lib/model/backend.ts";
import { buildSeedModel, buildTemporalModel } from "../lib/model/networks.ts";
import { AttentionPooling1D } from "../lib/model/attention_pool.ts";
import { predictProbabilities, trainModel } from "../lib/model/train.ts";
import { loadModel, registerFileRouters, saveModel } from "../lib/model/io_fs.ts";
import { DEFAULT_CONFIG } from "../lib/config/config.ts";
import { createRng } from "../lib/util/random.ts";

await tf.setBackend("cpu");
(tf.backend() as unknown as { firstUse: boolean }).firstUse = false;

function randomTensor(shape: number[], seed: number, ties = false): tf.Tensor {
  const rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  // With `ties`, many exact zeros and repeats, like ReLU outputs feeding a max pool.
  const v = Float32Array.from({ length: n }, () => {
    const x = rng.normal();
    return ties ? Math.max(0, Math.round(x * 2) / 2) : x;
  });
  return tf.tensor(v, shape);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  assertEquals(a.shape, b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    // NaN where both have NaN agrees; NaN on one side only is the worst disagreement.
    const d = x[i] === y[i]
      ? 0
      : Number.isNaN(x[i]) || Number.isNaN(y[i])
      ? (Number.isNaN(x[i]) && Number.isNaN(y[i]) ? 0 : Infinity)
      : Math.abs(x[i] - y[i]);
    m = Math.max(m, d);
  }
  return m;
}

/** Runs `f` with the stock kernels and with ours; returns both results as plain tensors. */
function bothWays(f: () => tf.Tensor[]): { stock: tf.Tensor[]; fast: tf.Tensor[] } {
  const stock = f();
  const restore = registerFastCpuKernels(jsGemm);
  try {
    return { stock, fast: f() };
  } finally {
    restore();
  }
}

Deno.test("conv1d forward and both gradients match tfjs's stock cpu kernels (same/valid, stride 1/2)", () => {
  for (
    const [pad, stride, cin, cout, k] of [["same", 1, 3, 4, 5], ["valid", 1, 2, 3, 3], [
      "same",
      2,
      4,
      2,
      5,
    ]] as const
  ) {
    const x = randomTensor([3, 17, cin], 1);
    const w = randomTensor([k, cin, cout], 2);
    const dy = randomTensor(tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, stride, pad).shape, 3);
    const f = () => {
      const y = tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, stride, pad);
      const [dx, dw] = tf.grads((a, b) =>
        tf.conv1d(a as tf.Tensor3D, b as tf.Tensor3D, stride, pad)
      )([x, w], dy);
      return [y, dx, dw];
    };
    const { stock, fast } = bothWays(f);
    ["output", "input gradient", "filter gradient"].forEach((what, i) => {
      const d = maxAbsDiff(stock[i], fast[i]);
      assert(d < 1e-4, `${pad} stride ${stride}: ${what} differs by ${d}`);
    });
  }
});

Deno.test("max pool and its gradient match the stock kernels, ties included", () => {
  const x = randomTensor([2, 23, 6], 4, true);
  for (const [pool, stride, pad] of [[5, 2, "same"], [2, 2, "same"], [3, 1, "valid"]] as const) {
    const f = () => {
      const y = tf.maxPool(x.reshape([2, 1, 23, 6]) as tf.Tensor4D, [1, pool], [1, stride], pad);
      const dy = randomTensor(y.shape, 5);
      const dx = tf.grad((a) => tf.maxPool(a as tf.Tensor4D, [1, pool], [1, stride], pad))(
        x.reshape([2, 1, 23, 6]),
        dy,
      );
      return [y, dx];
    };
    const { stock, fast } = bothWays(f);
    assertEquals(maxAbsDiff(stock[0], fast[0]), 0, `pool ${pool}/${stride} ${pad}`);
    assert(maxAbsDiff(stock[1], fast[1]) < 1e-6, `pool grad ${pool}/${stride} ${pad}`);
  }
});

Deno.test("max pooling over time (maxPooling1d's layout) and its gradient match the stock kernels", () => {
  const x = randomTensor([3, 23, 1, 5], 14, true);
  for (const [pool, stride, pad] of [[2, 2, "same"], [5, 2, "same"], [3, 1, "valid"]] as const) {
    const f = () => {
      const y = tf.maxPool(x as tf.Tensor4D, [pool, 1], [stride, 1], pad);
      const dy = randomTensor(y.shape, 15);
      const dx = tf.grad((a) => tf.maxPool(a as tf.Tensor4D, [pool, 1], [stride, 1], pad))(x, dy);
      return [y, dx];
    };
    const { stock, fast } = bothWays(f);
    assertEquals(maxAbsDiff(stock[0], fast[0]), 0, `pool ${pool}/${stride} ${pad}`);
    // Overlapping windows add their gradients in another order than the stock kernel.
    assert(maxAbsDiff(stock[1], fast[1]) < 1e-6, `pool grad ${pool}/${stride} ${pad}`);
  }
});

Deno.test("dense-layer matmuls (rank 2 and 3, every transpose) match the stock kernel", () => {
  const f = () => {
    const out: tf.Tensor[] = [];
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      const a = randomTensor(ta ? [7, 5] : [5, 7], 16);
      const b = randomTensor(tb ? [3, 7] : [7, 3], 17);
      out.push(tf.matMul(a, b, ta, tb), tf.matMul(a.expandDims(0), b.expandDims(0), ta, tb));
    }
    return out;
  };
  const { stock, fast } = bothWays(f);
  stock.forEach((s, i) => assert(maxAbsDiff(s, fast[i]) < 1e-5, `matmul ${i} differs`));
});

Deno.test("broadcasting add/sub/mul/div/equal, sum/mean/max over any axes, tile and split match the stock kernels", () => {
  const a = randomTensor([4, 5, 6], 6);
  const shapes = [[4, 5, 6], [6], [1, 1, 6], [5, 1], [4, 1, 6], [], [4, 5, 1]];
  const f = () => {
    const out: tf.Tensor[] = [];
    for (const s of shapes) {
      const b = tf.add(randomTensor(s, 7), 3);
      out.push(
        tf.add(a, b),
        tf.sub(b, a),
        tf.mul(a, b),
        tf.div(a, b),
        tf.cast(tf.equal(a, tf.round(a)), "float32"),
      );
    }
    for (const axes of [0, 1, 2, [0, 1], [1, 2], [0, 2], [0, 1, 2]]) {
      out.push(tf.sum(a, axes), tf.mean(a, axes, true), tf.max(a, axes), tf.max(a, axes, true));
    }
    // Batch norm's gradients tile a per-channel vector over batch and time.
    const channel = randomTensor([1, 1, 6], 8);
    out.push(tf.tile(a, [2, 1, 3]), tf.tile(channel, [4, 5, 1]), tf.tile(channel, [2, 3, 2]));
    out.push(tf.max(tf.concat([a, tf.fill([4, 5, 1], NaN)], 2), 2));
    out.push(...tf.split(a, 2, 0), ...tf.split(a, [1, 4], 1), ...tf.split(a, [2, 1, 3], 2));
    const special = tf.tensor1d([1, -1, 0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-45, 3.5]);
    out.push(tf.relu(a), tf.step(a), tf.relu(special), tf.step(special));
    return out;
  };
  const { stock, fast } = bothWays(f);
  stock.forEach((s, i) => assert(maxAbsDiff(s, fast[i]) < 1e-5, `op ${i} differs`));
});

/** Noisy 8-frame x 4-channel sequences whose class raises one channel: learnable, not trivially. */
function toyData(n: number, classes: number, seed: number) {
  const rng = createRng(seed);
  const [frames, dims] = [8, 4];
  const x = new Float32Array(n * frames * dims);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels[i] = c;
    for (let f = 0; f < frames; f++) {
      for (let d = 0; d < dims; d++) {
        x[(i * frames + f) * dims + d] = rng.normal() + (d === c % dims ? 1.5 : 0);
      }
    }
  }
  return { x, rowShape: [frames, dims], labels, classes };
}

Deno.test("training is seeded: same seed, same history; it learns a separable toy problem", async () => {
  const backend = await useTrainingBackend(jsGemm);
  try {
    const data = toyData(256, 4, 9);
    const cfg = { ...DEFAULT_CONFIG.train, epochs: 10, batchSize: 32, learningRate: 0.01 };
    const temporal = { ...DEFAULT_CONFIG.temporal, filters: [8, 8], denseUnits: 8, dropout: 0.2 };
    const run = async () => {
      const model = buildTemporalModel(8, 4, 4, temporal, 3);
      const history = await trainModel(model, data, cfg, 11);
      const probs = predictProbabilities(model, data.x, data.rowShape);
      model.dispose();
      return { history, probs };
    };
    const a = await run();
    const b = await run();
    assertEquals(a.history.map((h) => h.loss), b.history.map((h) => h.loss));
    assertEquals(Array.from(a.probs), Array.from(b.probs));
    const last = a.history[a.history.length - 1];
    assert(last.loss < a.history[0].loss, "loss went down");
    assert(last.accuracy > 0.6, `train accuracy ${last.accuracy} on a separable 4-class problem`);
  } finally {
    backend.restore();
  }
});

Deno.test("weight decay shrinks conv and dense kernels and leaves batch norm alone", async () => {
  const backend = await useTrainingBackend(jsGemm);
  try {
    const data = toyData(128, 4, 9);
    const temporal = { ...DEFAULT_CONFIG.temporal, filters: [8, 8], denseUnits: 8, dropout: 0 };
    const norms = async (weightDecay: number) => {
      const cfg = { ...DEFAULT_CONFIG.train, epochs: 4, batchSize: 32, weightDecay };
      const model = buildTemporalModel(8, 4, 4, temporal, 3);
      await trainModel(model, data, cfg, 11);
      const byName = Object.fromEntries(model.trainableWeights.map((w) => {
        const v = w.read().dataSync() as Float32Array;
        return [w.originalName, Math.sqrt(v.reduce((s, x) => s + x * x, 0))];
      }));
      model.dispose();
      return byName;
    };
    const plain = await norms(0);
    const decayed = await norms(50);
    for (const name of ["conv1/kernel", "conv2/kernel", "dense1/kernel", "probs/kernel"]) {
      assert(decayed[name] < 0.9 * plain[name], `${name}: ${decayed[name]} vs ${plain[name]}`);
    }
    // Batch norm's scale is not decayed: it may move with training, but not collapse.
    assert(decayed["bn1/gamma"] > 0.5 * plain["bn1/gamma"], "bn1/gamma kept");
  } finally {
    backend.restore();
  }
});

Deno.test("ReduceLROnPlateau: the learning rate drops by lrFactor after lrPatience epochs without improvement", async () => {
  const backend = await useTrainingBackend(jsGemm);
  try {
    // A learning rate too small to move the loss: every epoch after the first is a plateau.
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [8, 4] }),
        tf.layers.dense({ units: 4, activation: "softmax" }),
      ],
    });
    const cfg = {
      ...DEFAULT_CONFIG.train,
      epochs: 7,
      batchSize: 64,
      learningRate: 1e-9,
      lrFactor: 0.5,
      lrPatience: 2,
      minLr: 2e-10,
    };
    const history = await trainModel(model, toyData(64, 4, 10), cfg, 1);
    assertEquals(history.map((h) => h.learningRate), [
      1e-9,
      1e-9,
      1e-9,
      5e-10,
      5e-10,
      2.5e-10,
      2.5e-10,
    ]);
  } finally {
    backend.restore();
  }
});

Deno.test("cosine schedule and averaging the last epochs' weights (batch-norm statistics too)", async () => {
  const backend = await useTrainingBackend(jsGemm);
  try {
    const data = toyData(128, 4, 9);
    const temporal = { ...DEFAULT_CONFIG.temporal, filters: [8], denseUnits: 8, dropout: 0 };
    const cfg = {
      ...DEFAULT_CONFIG.train,
      epochs: 5,
      batchSize: 32,
      learningRate: 0.01,
      minLr: 0,
      lrSchedule: "cosine" as const,
    };
    const model = buildTemporalModel(8, 4, 4, temporal, 3);
    const snapshots: Float32Array[][] = [];
    const history = await trainModel(model, data, { ...cfg, averageLast: 3 }, 11, {
      onEpoch: () =>
        void snapshots.push(model.getWeights().map((w) => w.dataSync().slice() as Float32Array)),
    });
    assertEquals(
      history.map((h) => +h.learningRate.toFixed(6)),
      [0.01, 0.009045, 0.006545, 0.003455, 0.000955],
      "half a cosine from the rate down to minLr",
    );
    const final = model.getWeights().map((w) => w.dataSync());
    final.forEach((w, i) => {
      for (let j = 0; j < w.length; j++) {
        const mean = (snapshots[2][i][j] + snapshots[3][i][j] + snapshots[4][i][j]) / 3;
        assert(Math.abs(w[j] - mean) < 1e-5, `weight ${i}[${j}]: ${w[j]} vs mean ${mean}`);
      }
    });
    const names = model.getWeights().map((_, i) => model.weights[i].originalName);
    assert(names.some((n) => n.includes("moving_mean")), "batch-norm statistics are averaged too");
    model.dispose();
  } finally {
    backend.restore();
  }
});

Deno.test("a saved model loads back with identical predictions (file handler and file:// URLs)", async () => {
  const dir = await Deno.makeTempDir();
  const model = buildSeedModel(162, 8, 5);
  const x = randomTensor([3, 162, 1], 12).dataSync() as Float32Array;
  const before = predictProbabilities(model, x, [162, 1]);
  await saveModel(model, join(dir, "m"));
  const names = [...Deno.readDirSync(join(dir, "m"))].map((e) => e.name).sort();
  assertEquals(names, ["model.json", "weights.bin"]);
  const loaded = await loadModel(join(dir, "m"));
  assertEquals(Array.from(predictProbabilities(loaded, x, [162, 1])), Array.from(before));
  registerFileRouters();
  await model.save(`file://${join(dir, "u")}`);
  const viaUrl = await tf.loadLayersModel(`file://${join(dir, "u", "model.json")}`);
  assertEquals(Array.from(predictProbabilities(viaUrl, x, [162, 1])), Array.from(before));
  await Deno.writeTextFile(join(dir, "bad.json"), "{}");
  await Deno.mkdir(join(dir, "bad"));
  await Deno.writeTextFile(join(dir, "bad", "model.json"), "{not json");
  await assertRejects(() => loadModel(join(dir, "bad")), Error, "cannot read a tfjs model");
});

Deno.test("attention pooling: starts as mean pooling, learns frame scores, saves and loads", async () => {
  const backend = await useTrainingBackend(jsGemm);
  try {
    // The separable toy problem above; what matters is that the scores move and survive saving.
    const data = toyData(256, 4, 9);
    const cfg = { ...DEFAULT_CONFIG.train, epochs: 8, batchSize: 32, learningRate: 0.01 };
    const temporal = {
      ...DEFAULT_CONFIG.temporal,
      filters: [8, 8],
      denseUnits: 8,
      pooling: "meanMaxAttention" as const,
    };
    const model = buildTemporalModel(8, 4, 4, temporal, 3);
    const attention = model.getLayer("time_attention");
    assertEquals(attention.getClassName(), "AttentionPooling1D");
    // Zero scores weigh every frame alike: the layer's output is the frames' mean.
    const h = randomTensor([2, 5, 3], 4);
    const fresh = new AttentionPooling1D({});
    assert(maxAbsDiff(fresh.apply(h) as tf.Tensor, tf.mean(h, 1)) < 1e-6);
    const history = await trainModel(model, data, cfg, 11);
    assert(history[history.length - 1].accuracy > 0.6, "it learns the toy problem");
    const scores = attention.getWeights()[0].dataSync();
    assert(scores.some((v) => v !== 0), "training moved the frame scores");
    const dir = await Deno.makeTempDir();
    const before = predictProbabilities(model, data.x, data.rowShape);
    await saveModel(model, join(dir, "m"));
    const loaded = await loadModel(join(dir, "m"));
    assertEquals(
      Array.from(predictProbabilities(loaded, data.x, data.rowShape)),
      Array.from(before),
    );
    model.dispose();
    loaded.dispose();
  } finally {
    backend.restore();
  }
});

Deno.test("squeeze-excitation: every block's channels gated by the clip, trained, saved and read back", async () => {
  const backend = await useTrainingBackend(jsGemm);
  try {
    const data = toyData(256, 4, 9);
    const cfg = { ...DEFAULT_CONFIG.train, epochs: 8, batchSize: 32, learningRate: 0.01 };
    const temporal = {
      ...DEFAULT_CONFIG.temporal,
      filters: [8, 8],
      denseUnits: 8,
      squeezeExcite: 4,
    };
    const model = buildTemporalModel(8, 4, 4, temporal, 3);
    const se = model.getLayer("se2");
    assertEquals(se.getClassName(), "SqueezeExcite1D");
    assertEquals(se.getWeights().map((w) => w.shape), [[8, 2], [2], [2, 8], [8]]);
    const gateBias = () => Array.from(se.getWeights()[3].dataSync());
    const before = gateBias();
    const history = await trainModel(model, data, cfg, 11);
    assert(history[history.length - 1].accuracy > 0.6, "it learns the toy problem");
    assert(gateBias().some((v, i) => v !== before[i]), "training moved the gates");
    const dir = await Deno.makeTempDir();
    const probs = predictProbabilities(model, data.x, data.rowShape);
    await saveModel(model, join(dir, "m"));
    const loaded = await loadModel(join(dir, "m"));
    assertEquals(
      Array.from(predictProbabilities(loaded, data.x, data.rowShape)),
      Array.from(probs),
    );
    model.dispose();
    loaded.dispose();
  } finally {
    backend.restore();
  }
});

Deno.test("the seed network is the classic recipe's, layer for layer", () => {
  const model = buildSeedModel(162, 8, 1);
  const summary = model.layers.map((l) => `${l.getClassName()}:${JSON.stringify(l.outputShape)}`);
  assertEquals(summary, [
    "Conv1D:[null,162,256]",
    "MaxPooling1D:[null,81,256]",
    "Conv1D:[null,81,256]",
    "MaxPooling1D:[null,41,256]",
    "Conv1D:[null,41,128]",
    "MaxPooling1D:[null,21,128]",
    "Dropout:[null,21,128]",
    "Conv1D:[null,21,64]",
    "MaxPooling1D:[null,11,64]",
    "Flatten:[null,704]",
    "Dense:[null,32]",
    "Dropout:[null,32]",
    "Dense:[null,8]",
  ]);
});
