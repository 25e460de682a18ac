/**
 * The speaker adversary (`train.speakerAdversary`): a head that learns to name the speaker from a
 * network's pooled embedding while the network is pushed, through the reversed gradient, to make
 * that hard. Its gradient is checked against finite differences, the network's backward pass with
 * the extra gradient against finite differences of the pooled output, and training with it is
 * reproducible and leaves a model of the usual architecture.
 */
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { DEFAULT_CONFIG, type TrainConfig } from "../lib/config/config.ts";
import { validateConfig } from "../lib/config/validate.ts";
import { jsGemm } from "../lib/model/gemm.ts";
import { buildTemporalModel } from "../lib/model/networks.ts";
import { compilePlan, readWeights } from "../lib/model/static/plan.ts";
import { StaticNetwork } from "../lib/model/static/network.ts";
import { reversalStrength, SpeakerAdversary } from "../lib/model/static/adversary.ts";
import { type Samples, trainModel } from "../lib/model/train.ts";
import { createRng } from "../lib/util/random.ts";

/** The head's mean cross-entropy for embeddings `e`, in float64, without training it. */
function headLoss(head: SpeakerAdversary, e: Float64Array, speakers: number[]): number {
  const { dims, speakers: k } = head;
  let loss = 0;
  speakers.forEach((target, r) => {
    const logits = Array.from({ length: k }, (_, s) => {
      let z = head.bias[s];
      for (let i = 0; i < dims; i++) z += e[r * dims + i] * head.kernel[i * k + s];
      return z;
    });
    const max = Math.max(...logits);
    const sum = logits.reduce((a, z) => a + Math.exp(z - max), 0);
    loss -= logits[target] - max - Math.log(sum);
  });
  return loss / speakers.length;
}

Deno.test("speaker adversary: the gradient it sends back is minus the strength times its own loss's gradient", () => {
  const rng = createRng(3);
  const head = new SpeakerAdversary(6, 4, 8, 11);
  const speakers = [0, 3, 1, 2, 2];
  const e = Float64Array.from({ length: 5 * 6 }, () => rng.normal());
  // The gradient is taken with the weights as they were before the step's own update.
  const before = new SpeakerAdversary(6, 4, 8, 11);
  head.step(Float32Array.from(e), speakers, 5, 0.5, 1e-3);
  const h = 3e-3;
  for (let j = 0; j < e.length; j++) {
    const plus = e.slice();
    const minus = e.slice();
    plus[j] += h;
    minus[j] -= h;
    const numeric = (headLoss(before, plus, speakers) - headLoss(before, minus, speakers)) /
      (2 * h);
    const got = head.embeddingGrad[j];
    assert(Math.abs(got + 0.5 * numeric) < 1e-4, `value ${j}: ${got} against ${-0.5 * numeric}`);
  }
});

Deno.test("speaker adversary: the head itself learns to name speakers that the embedding carries", () => {
  const rng = createRng(5);
  const rows = 32;
  const speakers = Array.from({ length: rows }, (_, r) => r % 4);
  // Speaker s raises value s of the embedding.
  const e = Float32Array.from({ length: rows * 8 }, (_, i) => {
    const r = Math.floor(i / 8);
    return rng.normal() * 0.3 + (i % 8 === speakers[r] ? 2 : 0);
  });
  const head = new SpeakerAdversary(8, 4, rows, 1);
  const first = head.step(e, speakers, rows, 1, 0.05);
  let last = first;
  for (let i = 0; i < 60; i++) last = head.step(e, speakers, rows, 1, 0.05);
  assert(last.loss < first.loss / 4, `loss ${first.loss} -> ${last.loss}`);
  assertEquals(last.hits, rows);
  assertThrows(() => head.step(e, [0, 9], 2, 1, 0.05), Error, "names speaker 9 of 4");
});

Deno.test("speaker adversary: its strength ramps from 0 to the weight over training", () => {
  assertEquals(reversalStrength(0.3, 0), 0);
  assert(reversalStrength(0.3, 0.1) > 0.1 && reversalStrength(0.3, 0.1) < 0.2);
  assert(Math.abs(reversalStrength(0.3, 1) - 0.3) < 1e-4);
  assert(reversalStrength(0.3, 0.5) < reversalStrength(0.3, 0.6));
});

Deno.test("static network: a gradient added at the pooled output reaches the first convolution as finite differences say", () => {
  const model = buildTemporalModel(
    12,
    5,
    3,
    { ...DEFAULT_CONFIG.temporal, filters: [4, 6, 6], denseUnits: 8, dropout: 0 },
    2,
  );
  const plan = compilePlan(model);
  const tap = plan.ops.findIndex((op) => op.kind === "timePool");
  const batch = 4;
  const rng = createRng(9);
  const x = Float32Array.from({ length: batch * plan.inputSize }, () => rng.normal());
  const extra = Float32Array.from({ length: batch * plan.outSizes[tap] }, () => rng.normal());
  const net = new StaticNetwork(plan, batch, jsGemm, readWeights(model, plan));
  const initial = Float32Array.from(net.weights);
  const gradsOf = (withExtra: boolean) => {
    net.weights.set(initial);
    net.input.set(x);
    net.target.fill(0);
    for (let r = 0; r < batch; r++) net.target[r * 3 + (r % 3)] = 1;
    net.forward(batch, true);
    net.lossBackward();
    net.backward(withExtra ? { at: tap, grad: extra } : undefined);
    return Float32Array.from(net.grads);
  };
  const plain = gradsOf(false);
  const withExtra = gradsOf(true);
  // d/dw of <extra, pooled(w)>, by central differences in training mode (batch statistics).
  const pooledDot = (w: Float32Array) => {
    net.weights.set(w);
    net.input.set(x);
    net.forward(batch, true);
    const pooled = net.activation(tap);
    let dot = 0;
    for (let j = 0; j < pooled.length; j++) dot += pooled[j] * extra[j];
    return dot;
  };
  const firstKernel = plan.slots[0];
  let checked = 0;
  for (let j = 0; j < firstKernel.size; j += 7) {
    const at = firstKernel.offset + j;
    const h = 3e-3;
    const plus = Float32Array.from(initial);
    const minus = Float32Array.from(initial);
    plus[at] += h;
    minus[at] -= h;
    const numeric = (pooledDot(plus) - pooledDot(minus)) / (2 * h);
    const got = withExtra[at] - plain[at];
    assert(
      Math.abs(got - numeric) <= 0.03 * Math.max(1, Math.abs(numeric)),
      `weight ${j}: ${got} against ${numeric}`,
    );
    checked++;
  }
  assert(checked >= 4);
  model.dispose();
});

function speakerSamples(rows: number, seed: number): Samples {
  const rng = createRng(seed);
  const labels = Int32Array.from({ length: rows }, () => rng.int(0, 3));
  const speakers = Int32Array.from({ length: rows }, (_, r) => r % 4);
  const x = Float32Array.from({ length: rows * 12 * 5 }, (_, i) => {
    const r = Math.floor(i / 60);
    const col = i % 5;
    return rng.normal() + (col === labels[r] ? 1 : 0) + (col === 4 ? speakers[r] : 0);
  });
  return { x, rowShape: [12, 5], labels, classes: 3, speakers, speakerCount: 4 };
}

Deno.test("training with a speaker adversary: reproducible, not the same as without, and the model keeps its layers", async () => {
  const cfg: TrainConfig = {
    ...DEFAULT_CONFIG.train,
    epochs: 3,
    batchSize: 16,
    speakerAdversary: 0.5,
  };
  const data = speakerSamples(48, 4);
  const run = async (c: TrainConfig) => {
    const model = buildTemporalModel(
      12,
      5,
      3,
      { ...DEFAULT_CONFIG.temporal, filters: [8, 8, 8] },
      3,
    );
    const layers = model.layers.length;
    const history = await trainModel(model, data, c, 7, { gemm: jsGemm });
    assertEquals(model.layers.length, layers, "no layer added to the saved network");
    const w = model.getWeights().flatMap((t) => Array.from(t.dataSync()));
    model.dispose();
    if (c.speakerAdversary > 0) {
      assert(history.every((h) => h.speakerAccuracy! >= 0 && h.speakerAccuracy! <= 1));
    } else assert(history.every((h) => h.speakerAccuracy === undefined));
    return { loss: history.map((h) => h.loss), w };
  };
  const a = await run(cfg);
  const b = await run(cfg);
  assertEquals(b, a);
  const without = await run({ ...cfg, speakerAdversary: 0 });
  assert(without.w.some((v, i) => v !== a.w[i]), "the adversary changed the weights");
  // Rows without speakers cannot train an adversary.
  const model = buildTemporalModel(12, 5, 3, DEFAULT_CONFIG.temporal, 3);
  const { speakers: _s, speakerCount: _c, ...bare } = data;
  let err: unknown;
  await trainModel(model, bare, cfg, 7, { gemm: jsGemm }).catch((e) => err = e);
  assert(err instanceof Error && /fewer than 2 speakers/.test(err.message), String(err));
  model.dispose();
});

Deno.test("config: a speaker adversary needs the static engine and a weight >= 0", () => {
  const base = structuredClone(DEFAULT_CONFIG);
  base.train.speakerAdversary = 0.3;
  validateConfig(base);
  base.train.engine = "tfjs";
  assertThrows(() => validateConfig(base), Error, "speakerAdversary needs train.engine=static");
  base.train.engine = "static";
  base.train.speakerAdversary = -1;
  assertThrows(() => validateConfig(base), Error, "speakerAdversary must be a number >= 0");
});
