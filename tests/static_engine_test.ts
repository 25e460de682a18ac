/**
 * The static trainer (`train.engine=static`) against tfjs, the reference: forward values, the
 * loss, every gradient and the moving statistics on random inputs of every member shape; a few
 * epochs of loss curves trained both ways; the same weights from the same seed; and a plan that
 * refuses layers outside the family by name.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { DEFAULT_CONFIG, type TrainConfig } from "../lib/config/config.ts";
import type { TemporalPooling } from "../lib/config/defaults.ts";
import { type Gemm, jsGemm } from "../lib/model/gemm.ts";
import { createWasmGemm } from "../lib/model/gemm_wasm.ts";
import { buildSeedModel, buildTemporalModel } from "../lib/model/networks.ts";
import { compilePlan, readWeights, UnsupportedLayerError } from "../lib/model/static/plan.ts";
import { StaticNetwork } from "../lib/model/static/network.ts";
import { im2col, maxPoolForward } from "../lib/model/static/kernels.ts";
import { jsBatchNormPasses } from "../lib/model/static/batch_norm.ts";
import { createTrainArena } from "../lib/model/static/train_arena.ts";
import { predictProbabilities, trainModel } from "../lib/model/train.ts";
import { createSplitGemm } from "../lib/model/split_gemm.ts";
import { useTrainingBackend } from "../lib/model/backend.ts";
import { PROSODY_DIM } from "../lib/features/prosody.ts";
import { createRng } from "../lib/util/random.ts";

const gemm = createWasmGemm() ?? jsGemm;
// tfjs's side runs on the project's cpu kernels (each tested against tfjs's stock kernel in
// model_test.ts): the stock ones take minutes per batch of the seed network.
await useTrainingBackend(gemm, { kernels: "stock" });

function randomArray(n: number, seed: number, offset = 0): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal() + offset);
}

/** Largest difference relative to the reference's largest magnitude. */
function maxRelDiff(got: Float32Array, want: Float32Array): number {
  assertEquals(got.length, want.length);
  let scale = 0;
  let m = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    m = Math.max(m, Math.abs(got[i] - want[i]));
  }
  return m / Math.max(scale, 1e-12);
}

function oneHot(labels: Int32Array, classes: number): Float32Array {
  const y = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => (y[i * classes + l] = 1));
  return y;
}

const temporal = (dims: number, pooling: TemporalPooling = "meanMax") => () =>
  buildTemporalModel(108, dims, 8, { ...DEFAULT_CONFIG.temporal, pooling }, 7);

// Every member shape the project trains: log-mel 40, MFCC + deltas 60, with prosody, the
// spectral pair, attention pooling, and the classic seed network on the 162-vector.
const mfccDeltaProsody = 3 * DEFAULT_CONFIG.features.nMfcc + PROSODY_DIM;
const SHAPES: [string, () => tf.LayersModel, number[], Gemm?][] = [
  ["temporal logmel", temporal(40), [108, 40]],
  ["temporal mfccDelta", temporal(60), [108, 60]],
  ["temporal mfccDeltaProsody", temporal(mfccDeltaProsody), [108, mfccDeltaProsody]],
  ["temporal attention", temporal(40, "meanMaxAttention"), [108, 40]],
  ["temporal std pooling", temporal(40, "meanMaxStd"), [108, 40]],
  [
    "temporal squeeze-excitation",
    () => buildTemporalModel(108, 40, 8, { ...DEFAULT_CONFIG.temporal, squeezeExcite: 8 }, 7),
    [108, 40],
  ],
  ["seed", () => buildSeedModel(162, 8, 7), [162, 1]],
  // Narrow layers (channel counts off the arena's 16-float alignment) on a short clip, in an
  // arena of exactly the size the network asks for (the JavaScript GEMM's).
  [
    "temporal narrow and short",
    () => buildTemporalModel(12, 5, 8, { ...DEFAULT_CONFIG.temporal, filters: [4, 6, 6] }, 7),
    [12, 5],
    jsGemm,
  ],
];

for (const [name, build, rowShape, product = createSplitGemm(gemm)] of SHAPES) {
  Deno.test(`static engine, ${name}: forward, loss, every gradient and the moving statistics equal tfjs's within 1e-5`, () => {
    const model = build();
    // Dropout off on both sides: its masks come from different generators by design.
    for (const l of model.layers) {
      if (l.getClassName() === "Dropout") (l as unknown as { rate: number }).rate = 0;
    }
    const batch = 12;
    const size = rowShape[0] * rowShape[1];
    const x = randomArray(batch * size, 11, 0.3);
    const labels = Int32Array.from({ length: batch }, (_, i) => (i * 5) % 8);
    const y = oneHot(labels, 8);
    const plan = compilePlan(model);
    const net = new StaticNetwork(plan, batch, product, readWeights(model, plan));
    net.input.set(x);
    net.target.set(y);
    const probs = net.forward(batch, true);
    const { loss } = net.lossBackward();
    net.backward();

    const xt = tf.tensor(x, [batch, ...rowShape]);
    const yt = tf.tensor2d(y, [batch, 8]);
    let p: tf.Tensor | null = null;
    const { value, grads } = tf.variableGrads(() => {
      p = tf.keep(model.apply(xt, { training: true }) as tf.Tensor);
      const clipped = tf.clipByValue(p, 1e-7, 1 - 1e-7);
      return tf.mean(tf.neg(tf.sum(tf.mul(yt, tf.log(clipped)), -1))) as tf.Scalar;
    });
    const dProbs = maxRelDiff(probs, p!.dataSync() as Float32Array);
    assert(dProbs < 1e-5, `probabilities differ by ${dProbs}`);
    const wantLoss = value.dataSync()[0];
    assert(Math.abs(loss - wantLoss) / wantLoss < 1e-5, `loss ${loss} against ${wantLoss}`);
    let checked = 0;
    for (const slot of plan.slots) {
      const variable = model.getLayer(slot.layer).weights[slot.index];
      if (!slot.trainable) {
        // The moving statistics took one step towards this batch's on both sides.
        const d = maxRelDiff(
          net.weights.subarray(slot.offset, slot.offset + slot.size),
          variable.read().dataSync() as Float32Array,
        );
        assert(d < 1e-5, `${variable.name} differs by ${d}`);
        continue;
      }
      const want = grads[(variable.read() as tf.Variable).name];
      assert(want, `tfjs gave no gradient for ${variable.name}`);
      const d = maxRelDiff(
        net.grads.subarray(slot.offset, slot.offset + slot.size),
        want.dataSync() as Float32Array,
      );
      assert(d < 1e-5, `gradient of ${variable.name} differs by ${d}`);
      checked++;
    }
    assertEquals(checked, Object.keys(grads).length, "every trainable weight checked");
    tf.dispose([xt, yt, value, p!, ...Object.values(grads)]);
    model.dispose();
  });
}

const quickTrain = (engine: "static" | "tfjs"): TrainConfig => ({
  ...DEFAULT_CONFIG.train,
  engine,
  epochs: 4,
  batchSize: 16,
});

function samples(rows: number, rowShape: number[], seed: number) {
  const rng = createRng(seed);
  const labels = Int32Array.from({ length: rows }, () => rng.int(0, 4));
  const size = rowShape[0] * rowShape[1];
  // Learnable: each class shifts its own band of the input.
  const x = Float32Array.from({ length: rows * size }, (_, i) => {
    const r = Math.floor(i / size);
    const col = (i % size) % rowShape[1];
    return rng.normal() + (col % 4 === labels[r] ? 1 : 0);
  });
  return { x, rowShape, labels, classes: 4 };
}

Deno.test("static engine: four epochs of the temporal network give tfjs's loss curve (dropout off), and learn", async () => {
  const data = samples(96, [108, 40], 3);
  const build = () => {
    const m = buildTemporalModel(108, 40, 4, { ...DEFAULT_CONFIG.temporal, dropout: 0 }, 5);
    return m;
  };
  const a = build();
  const b = build();
  const viaStatic = await trainModel(a, data, quickTrain("static"), 9, {
    gemm: createSplitGemm(gemm),
  });
  const viaTfjs = await trainModel(b, data, quickTrain("tfjs"), 9);
  viaStatic.forEach((r, i) => {
    const want = viaTfjs[i].loss;
    assert(Math.abs(r.loss - want) / want < 1e-3, `epoch ${i + 1}: ${r.loss} against ${want}`);
  });
  assert(viaStatic[3].loss < viaStatic[0].loss, "the loss falls");
  // The trained weights are in the tfjs model: its predictions are the static network's.
  const pa = predictProbabilities(a, data.x, data.rowShape);
  const pb = predictProbabilities(b, data.x, data.rowShape);
  assert(maxRelDiff(pa, pb) < 1e-2, "both engines' models predict alike");
  a.dispose();
  b.dispose();
});

Deno.test("static engine: the same seed trains the same weights, bit for bit, with dropout and a ragged last batch", async () => {
  const data = samples(50, [108, 40], 4);
  const run = async () => {
    const model = buildTemporalModel(108, 40, 4, DEFAULT_CONFIG.temporal, 5);
    const history = await trainModel(model, data, { ...quickTrain("static"), epochs: 2 }, 9, {
      gemm: createSplitGemm(gemm),
    });
    const w = model.getWeights().map((t) => Array.from(t.dataSync()));
    model.dispose();
    return { history: history.map((h) => h.loss), w };
  };
  const first = await run();
  const second = await run();
  assertEquals(second.history, first.history);
  assertEquals(second.w, first.w);
});

Deno.test("static engine, dilated blocks: forward and every gradient equal tfjs's for the same kernel with zeros between its taps", () => {
  // tfjs has no gradient for a dilated convolution, but a kernel of 5 taps 2 frames apart is a
  // kernel of 9 whose odd taps are zero: same padding, same sums.
  const rowShape = [30, 6];
  const cfg = { ...DEFAULT_CONFIG.temporal, filters: [8, 12, 12], dropout: 0 };
  const dilated = buildTemporalModel(30, 6, 8, { ...cfg, dilations: [2, 2, 2] }, 3);
  const wide = buildTemporalModel(30, 6, 8, { ...cfg, kernelSize: 9 }, 4);
  const spread = (k: tf.Tensor) => {
    const [width, cin, cout] = k.shape;
    const src = k.dataSync();
    const out = new Float32Array((2 * width - 1) * cin * cout);
    for (let j = 0; j < width; j++) {
      out.set(src.subarray(j * cin * cout, (j + 1) * cin * cout), 2 * j * cin * cout);
    }
    return tf.tensor(out, [2 * width - 1, cin, cout]);
  };
  wide.setWeights(dilated.getWeights().map((w) => w.shape.length === 3 ? spread(w) : w));
  const batch = 5;
  const x = randomArray(batch * 30 * 6, 21, 0.2);
  const labels = Int32Array.from({ length: batch }, (_, i) => (i * 3) % 8);
  const y = oneHot(labels, 8);
  const plan = compilePlan(dilated);
  const net = new StaticNetwork(plan, batch, jsGemm, readWeights(dilated, plan));
  net.input.set(x);
  net.target.set(y);
  const probs = net.forward(batch, true);
  net.lossBackward();
  net.backward();

  const xt = tf.tensor(x, [batch, ...rowShape]);
  const yt = tf.tensor2d(y, [batch, 8]);
  let p: tf.Tensor | null = null;
  const { grads } = tf.variableGrads(() => {
    p = tf.keep(wide.apply(xt, { training: true }) as tf.Tensor);
    const clipped = tf.clipByValue(p, 1e-7, 1 - 1e-7);
    return tf.mean(tf.neg(tf.sum(tf.mul(yt, tf.log(clipped)), -1))) as tf.Scalar;
  });
  assert(maxRelDiff(probs, p!.dataSync() as Float32Array) < 1e-5, "probabilities differ");
  // tfjs's own dilated forward pass (what predict runs) agrees too.
  const inference = dilated.predict(xt) as tf.Tensor;
  const net2 = new StaticNetwork(plan, batch, jsGemm, readWeights(dilated, plan));
  net2.input.set(x);
  assert(maxRelDiff(net2.forward(batch, false), inference.dataSync() as Float32Array) < 1e-5);
  let convs = 0;
  for (const slot of plan.slots.filter((s) => s.trainable)) {
    const variable = wide.getLayer(slot.layer).weights[slot.index];
    let want = grads[(variable.read() as tf.Variable).name].dataSync() as Float32Array;
    if (variable.shape.length === 3) {
      // The dilated kernel's gradient is the wide kernel's at its even taps.
      const per = variable.shape[1]! * variable.shape[2]!;
      want = Float32Array.from(
        { length: slot.size },
        (_, i) => want[(2 * Math.floor(i / per)) * per + (i % per)],
      );
      convs++;
    }
    const d = maxRelDiff(net.grads.subarray(slot.offset, slot.offset + slot.size), want);
    assert(d < 1e-5, `gradient of ${variable.name} differs by ${d}`);
  }
  assertEquals(convs, 3);
  tf.dispose([xt, yt, p!, inference, ...Object.values(grads)]);
  dilated.dispose();
  wide.dispose();
});

Deno.test("static engine: a layer outside the family is refused by name", () => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv1d({ inputShape: [20, 3], filters: 4, kernelSize: 3, padding: "valid" }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, activation: "softmax" }),
    ],
  });
  const err = assertThrows(() => compilePlan(model), UnsupportedLayerError);
  assert(/conv1d.*Conv1D.*same-padded.*--train.engine=tfjs/.test(err.message), err.message);
  model.dispose();
});

Deno.test("im2col: each row is the window of frames around its own, zero outside the clip", () => {
  // 2 clips x 3 frames x 2 channels, values 1..12; width 3, one frame of padding each side.
  const x = Float32Array.from({ length: 12 }, (_, i) => i + 1);
  const cols = new Float32Array(6 * 6);
  im2col(x, 2, 3, 2, 3, 1, cols);
  assertEquals(Array.from(cols.subarray(0, 6)), [0, 0, 1, 2, 3, 4]);
  assertEquals(Array.from(cols.subarray(12, 18)), [3, 4, 5, 6, 0, 0]);
  assertEquals(Array.from(cols.subarray(18, 24)), [0, 0, 7, 8, 9, 10]);
});

Deno.test("batch-norm passes: the WebAssembly SIMD kernels give the JavaScript passes' bits", () => {
  const count = 4 * 60 + 3; // groups of four positions, and a remainder
  const channels = 12;
  const n = count * channels;
  const arena = createTrainArena(12 * n + 1024, 1, 8);
  if (!arena) {
    console.log("skipped: this runtime has no WebAssembly SIMD");
    return;
  }
  // Counts calls that fell back to JavaScript: none may (every array below is in the arena).
  let fellBack = 0;
  const counted = Object.fromEntries(
    Object.entries(jsBatchNormPasses).map(([k, f]) => [k, (...args: unknown[]) => {
      fellBack++;
      return (f as (...a: unknown[]) => void)(...args);
    }]),
  ) as unknown as typeof jsBatchNormPasses;
  const simd = arena.batchNorm(counted);
  let at = 0;
  const take = (len: number) => {
    const view = arena.arena.subarray(at, at + len);
    at += Math.ceil((len + 16) / 16) * 16;
    return view;
  };
  const f64 = () => {
    const v = take(2 * channels);
    return new Float64Array(v.buffer, v.byteOffset, channels);
  };
  const x = take(n);
  x.set(randomArray(n, 21, 0.5));
  const y = take(n);
  y.set(randomArray(n, 22));
  // the ReLU mask's edge cases: -0, NaN and the smallest positive float
  y[3] = -0;
  y[5] = NaN;
  y[7] = 1e-45;
  const dy = randomArray(n, 23);
  const coef = () => {
    const v = take(channels);
    v.forEach((_, i) => (v[i] = Math.sin(i + at) * 3));
    return v;
  };
  const [scale, shift, a, b, e] = [coef(), coef(), coef(), coef(), coef()];
  const results = [jsBatchNormPasses, simd].map((passes) => {
    const sum = f64();
    const sumSq = f64();
    passes.sums(x, count, channels, sum, sumSq);
    const out = take(n);
    const outRelu = take(n);
    passes.normalize(x, count, channels, scale, shift, false, out);
    passes.normalize(x, count, channels, scale, shift, true, outRelu);
    const masked = take(n);
    masked.set(dy);
    const sumDy = f64();
    const sumDyX = f64();
    passes.backSums(x, y, masked, count, channels, sumDy, sumDyX);
    const dx = take(n);
    passes.backDx(x, masked, count, channels, a, b, e, dx);
    return [sum, sumSq, out, outRelu, masked, sumDy, sumDyX, dx].map((v) =>
      Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))
    );
  });
  const names = [
    "sum",
    "sumSq",
    "normalize",
    "normalize+ReLU",
    "masked dy",
    "sum dy",
    "sum dy x",
    "dx",
  ];
  assertEquals(fellBack, 0, "every pass ran in WebAssembly");
  names.forEach((name, i) => assertEquals(results[1][i], results[0][i], `${name}: bits differ`));
});

Deno.test("max pooling: the WebAssembly SIMD kernel gives the JavaScript pass's values and indices (ties to the first)", () => {
  const rows = 3;
  const length = 41;
  const channels = 8;
  const n = rows * length * channels;
  const arena = createTrainArena(8 * n + 1024, 1, 8);
  if (!arena) {
    console.log("skipped: this runtime has no WebAssembly SIMD");
    return;
  }
  const simd = arena.maxPool(() => {
    throw new Error("fell back to JavaScript");
  });
  const x = arena.arena.subarray(0, n);
  x.set(randomArray(n, 31));
  // ReLU-like zeros make ties; a NaN never wins
  for (let i = 0; i < n; i += 3) x[i] = Math.max(0, x[i]);
  x[17] = NaN;
  let at = Math.ceil((n + 16) / 16) * 16;
  const take = (len: number) => {
    const v = arena.arena.subarray(at, at + len);
    at += Math.ceil((len + 16) / 16) * 16;
    return v;
  };
  // the seed network's pools (5 wide, stride 2, same) and the temporal one's (2, stride 2)
  for (const [pool, stride, padLeft, outLength] of [[5, 2, 2, 21], [2, 2, 0, 21]]) {
    const out = (kernel: typeof maxPoolForward) => {
      const y = take(rows * outLength * channels);
      const a = take(rows * outLength * channels);
      const arg = new Int32Array(a.buffer, a.byteOffset, a.length);
      kernel(x, rows, length, channels, pool, stride, padLeft, outLength, y, arg);
      return [Array.from(new Uint8Array(y.buffer, y.byteOffset, y.byteLength)), Array.from(arg)];
    };
    const [wantY, wantArg] = out(maxPoolForward);
    const [gotY, gotArg] = out(simd);
    assertEquals(gotY, wantY, `pool ${pool}: values`);
    assertEquals(gotArg.length, rows * outLength * channels);
    assertEquals(gotArg, wantArg, `pool ${pool}: indices`);
  }
});
