/**
 * A test voice's own batch-norm statistics (`eval.voiceBatchNorm`) and batches of one training
 * voice (`train.voiceBatches`), on small networks and random rows.
 */
import type * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { buildTemporalModel } from "../lib/model/networks.ts";
import { predictProbabilities, voiceBatchStarts } from "../lib/model/train.ts";
import {
  parseEmbeddingStats,
  trainingEmbeddingStats,
  voiceAdaptedProbabilities,
  voiceEmbeddingStats,
  voiceLayerMoments,
} from "../lib/model/voice_batch_norm.ts";
import { DEFAULT_CONFIG, parseArgs, strictTwin } from "../lib/config/config.ts";
import { clipBatchNormApplies, voiceBatchNormApplies } from "../lib/normalise/policy.ts";
import { createRng } from "../lib/util/random.ts";
import { predictInput, type Predictor, VoiceStatistics } from "../lib/model/predictor.ts";
import { applyScaler } from "../lib/normalise/scaler.ts";

const FRAMES = 16;
const DIMS = 6;
const ROW = FRAMES * DIMS;

function smallNetwork(): tf.LayersModel {
  const temporal = { ...DEFAULT_CONFIG.temporal, filters: [8, 8], denseUnits: 8 };
  return buildTemporalModel(FRAMES, DIMS, 4, temporal, 11);
}

function randomRows(n: number, seed: number, offset = 0): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n * ROW }, () => offset + rng.normal());
}

const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/** A predictor of one member, `model`, reading its rows as they are (an identity scaler). */
function onePredictor(
  model: tf.LayersModel,
  member: Partial<Predictor["members"][number]>,
  extra: Partial<Predictor>,
): Predictor {
  const identity = {
    dim: DIMS,
    mean: new Array(DIMS).fill(0),
    scale: new Array(DIMS).fill(1),
    fittedOn: 1,
  };
  return {
    labels: ["a", "b", "c", "d"],
    input: "logmel",
    rowShape: [FRAMES, DIMS],
    members: [{ name: "m", model, scaler: identity, ...member }],
    ...extra,
  };
}

Deno.test("a voice's own batch-norm statistics make a network blind to the voice's loudness", () => {
  // The first convolution has no bias, so a voice recorded three times louder reaches the first
  // batch norm three times larger: the training statistics pass that on, the voice's own undo it.
  const model = smallNetwork();
  const voice = randomRows(10, 1, 0.5);
  const louder = voice.map((v) => 3 * v);
  const x = new Float32Array([...voice, ...louder]);
  const voices = [
    {
      stats: Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
      rows: Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    },
    {
      stats: Int32Array.from([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]),
      rows: Int32Array.from([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]),
    },
  ];
  const adapted = voiceAdaptedProbabilities(model, x, [FRAMES, DIMS], voices);
  const plain = predictProbabilities(model, x, [FRAMES, DIMS]);
  assert(
    maxDiff(adapted.subarray(0, 40), adapted.subarray(40)) < 1e-3,
    "the louder copy scores alike",
  );
  assert(
    maxDiff(plain.subarray(0, 40), plain.subarray(40)) > 1e-2,
    "with training statistics it does not",
  );
  model.dispose();
});

Deno.test("scoring with voice statistics leaves the network as it was, and rows of no voice as before", () => {
  const model = smallNetwork();
  const before = model.getWeights().map((w) => w.dataSync().slice());
  const x = randomRows(12, 2, 1);
  const voices = [{
    stats: Int32Array.from([0, 1, 2, 3]),
    rows: Int32Array.from([0, 1, 2, 3, 4, 5]),
  }];
  const plain = predictProbabilities(model, x, [FRAMES, DIMS]);
  const adapted = voiceAdaptedProbabilities(model, x, [FRAMES, DIMS], voices);
  model.getWeights().forEach((w, i) =>
    assertEquals(Array.from(w.dataSync()), Array.from(before[i]))
  );
  assertEquals(Array.from(adapted.subarray(6 * 4)), Array.from(plain.subarray(6 * 4)));
  assert(
    maxDiff(adapted.subarray(0, 6 * 4), plain.subarray(0, 6 * 4)) > 1e-3,
    "the voice's rows moved",
  );
  // The statistics come from `stats` alone: rows 4 and 5 are scored, not measured.
  const wider = voiceAdaptedProbabilities(model, x, [FRAMES, DIMS], [{
    ...voices[0],
    rows: Int32Array.from([0, 1, 2, 3]),
  }]);
  assertEquals(Array.from(wider.subarray(0, 16)), Array.from(adapted.subarray(0, 16)));
  model.dispose();
});

Deno.test("voice batches: every batch holds one speaker, every row comes once, in a seeded order", () => {
  const speakers = Int32Array.from({ length: 150 }, (_, i) => i % 4 === 3 ? 7 : i % 3);
  const order = (seed: number) => {
    const o = Int32Array.from({ length: 150 }, (_, i) => i);
    const starts = voiceBatchStarts(o, speakers, 16, createRng(seed));
    return { o, starts };
  };
  const { o, starts } = order(5);
  assertEquals(starts[0], 0);
  assertEquals(starts[starts.length - 1], 150);
  assertEquals([...o].sort((a, b) => a - b), Array.from({ length: 150 }, (_, i) => i));
  for (let b = 0; b + 1 < starts.length; b++) {
    const rows = [...o.subarray(starts[b], starts[b + 1])];
    assert(rows.length > 0 && rows.length <= 16, `batch ${b} holds ${rows.length} rows`);
    assertEquals(new Set(rows.map((r) => speakers[r])).size, 1);
  }
  assertEquals(Array.from(order(5).o), Array.from(o));
  assert(
    maxDiff(Float32Array.from(order(6).o), Float32Array.from(o)) > 0,
    "another seed, another order",
  );
});

Deno.test("voice batch-norm statistics apply where a voice's recordings are known, and never to the strict twin", () => {
  const run = parseArgs([]).config;
  assert(voiceBatchNormApplies(run), "the default: per-speaker");
  assert(!voiceBatchNormApplies(strictTwin(run)));
  assert(!voiceBatchNormApplies(parseArgs(["--eval.speakerNorm=online"]).config));
  assert(!voiceBatchNormApplies(parseArgs(["--eval.voiceBatchNorm=false"]).config));
  // Its twin trains on batches of every voice too: it will never see a voice's statistics.
  const batches = parseArgs(["--train.voiceBatches=true"]).config;
  assertEquals(strictTwin(batches).train.voiceBatches, false);
});

Deno.test("predict takes a voice's batch-norm statistics from 8 windows on, the same the evaluation takes", () => {
  const model = smallNetwork();
  const predictor = onePredictor(model, {
    // Training voices' embedding statistics: the voice's embeddings are mapped onto them.
    embedding: { mean: new Array(16).fill(0.2), scale: new Array(16).fill(0.7) },
  }, { voiceBatchNorm: true });
  const x = randomRows(9, 3, 2);
  const windows = Array.from({ length: 9 }, (_, i) => x.slice(i * ROW, (i + 1) * ROW));
  const voice = new VoiceStatistics(predictor);
  windows.slice(0, 7).forEach((w) => voice.add(w));
  assertEquals(voice.scaler({ batchNorm: true }).batchNorm, undefined);
  voice.add(windows[7]);
  const speaker = voice.scaler({ batchNorm: true });
  assertEquals(speaker.batchNorm?.windows, 8);
  // The evaluation's path on the same eight windows, z-scored with the voice's frame statistics.
  const scaled = new Float32Array(8 * ROW);
  windows.slice(0, 8).forEach((w, i) => scaled.set(applyScaler(speaker, w), i * ROW));
  const all = Int32Array.from({ length: 8 }, (_, i) => i);
  const evaluated = voiceAdaptedProbabilities(
    model,
    scaled,
    [FRAMES, DIMS],
    [{ stats: all, rows: all }],
    predictor.members[0].embedding,
  );
  const predicted = predictInput(predictor, windows[2], speaker);
  assert(
    maxDiff(predicted, evaluated.subarray(2 * 4, 3 * 4)) < 1e-5,
    "predict scores as evaluation",
  );
  const untouched = predictInput(predictor, windows[2], voice.scaler());
  assert(maxDiff(predicted, untouched) > 1e-3, "without them, the training statistics");
  model.dispose();
});

Deno.test("a voice's pooled embeddings are put on the training voices' scale, and mapping a voice onto itself changes nothing", () => {
  const model = smallNetwork();
  const x = randomRows(10, 4, 0.3);
  const all = Int32Array.from({ length: 10 }, (_, i) => i);
  const voices = [{ stats: all, rows: all }];
  const own = voiceEmbeddingStats(model, voiceLayerMoments(model, x, [FRAMES, DIMS]), x, [
    FRAMES,
    DIMS,
  ]);
  const adapted = voiceAdaptedProbabilities(model, x, [FRAMES, DIMS], voices);
  const ontoItself = voiceAdaptedProbabilities(model, x, [FRAMES, DIMS], voices, own);
  assert(maxDiff(adapted, ontoItself) < 1e-5, "the identity map");
  const elsewhere = { mean: own.mean.map((m) => m + 0.5), scale: own.scale.map((s) => 2 * s) };
  const moved = voiceAdaptedProbabilities(model, x, [FRAMES, DIMS], voices, elsewhere);
  assert(maxDiff(adapted, moved) > 1e-3, "another training scale moves the answer");
  // The training voices' statistics pool every voice's rows, each with its own batch norm.
  const pooled = trainingEmbeddingStats(model, x, [FRAMES, DIMS], voices);
  assert(maxDiff(Float32Array.from(pooled.mean), Float32Array.from(own.mean)) < 1e-5);
  assertThrows(
    () => parseEmbeddingStats({ mean: [0, 1], scale: [1, 0] }, "s.json"),
    Error,
    "s.json",
  );
  model.dispose();
});

Deno.test("a strict clip's batch-norm statistics lean on the training set's as many clips' worth as asked", () => {
  const model = smallNetwork();
  const x = randomRows(1, 5, 0.8);
  const shape = [FRAMES, DIMS];
  const own = voiceLayerMoments(model, x, shape);
  const half = voiceLayerMoments(model, x, shape, 256, 1);
  // A fresh network's first batch norm holds mean 0 and variance 1: one clip's worth of prior
  // lands halfway between them and the clip's own.
  own[0].mean.forEach((m, c) => assert(Math.abs(half[0].mean[c] - m / 2) < 1e-6));
  own[0].variance.forEach((v, c) => assert(Math.abs(half[0].variance[c] - (v + 1) / 2) < 1e-6));
  const clip = { stats: Int32Array.from([0]), rows: Int32Array.from([0]) };
  const plain = predictProbabilities(model, x, shape);
  const leaning = voiceAdaptedProbabilities(model, x, shape, [{ ...clip, prior: 1e9 }]);
  assert(maxDiff(plain, leaning) < 1e-5, "an overwhelming prior is the training statistics");
  const alone = voiceAdaptedProbabilities(model, x, shape, [clip]);
  assert(maxDiff(plain, alone) > 1e-3, "no prior: the clip's own");
  model.dispose();
});

Deno.test("clip batch-norm statistics apply to strict settings only", () => {
  const asked = parseArgs(["--eval.clipBatchNorm=16"]).config;
  assertEquals(clipBatchNormApplies(asked), false);
  assertEquals(clipBatchNormApplies(strictTwin(asked)), true);
  assertEquals(clipBatchNormApplies(strictTwin(DEFAULT_CONFIG)), false);
  assertThrows(() => parseArgs(["--eval.clipBatchNorm=-1"]), Error, "eval.clipBatchNorm");
});

Deno.test("predict scores a strict clip with the same mixed batch-norm statistics the evaluation used", () => {
  const model = smallNetwork();
  const predictor = onePredictor(model, {}, { clipBatchNorm: 4 });
  const x = randomRows(3, 6, 0.4);
  const clips = [0, 1, 2].map((i) => ({
    stats: Int32Array.from([i]),
    rows: Int32Array.from([i]),
    prior: 4,
  }));
  const evaluated = voiceAdaptedProbabilities(model, x, [FRAMES, DIMS], clips);
  const predicted = predictInput(predictor, x.slice(ROW, 2 * ROW));
  assert(maxDiff(predicted, evaluated.subarray(4, 8)) < 1e-5, "predict scores as evaluation");
  const plain = predictInput({ ...predictor, clipBatchNorm: undefined }, x.slice(ROW, 2 * ROW));
  assert(maxDiff(predicted, plain) > 1e-4, "without it, the training statistics");
  model.dispose();
});
