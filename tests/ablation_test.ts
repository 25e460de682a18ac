/**
 * What the ablation study varies and how it reports: batch augmentation (SpecAugment masks,
 * mixup, class weights), online per-speaker normalisation, run identity across settings added
 * later, and the table rows.
 */
import { assert, assertAlmostEquals, assertEquals, assertNotEquals } from "./assert.ts";
import {
  classWeights,
  mixupRows,
  sampleBeta,
  smoothLabels,
  specAugmentRows,
} from "../lib/model/batch_augment.ts";
import { createRng } from "../lib/util/random.ts";
import { applyOnlineSpeakerNorm } from "../lib/eval/speaker_norm.ts";
import { fitScaler } from "../lib/model/scaler.ts";
import {
  completeStoredConfig,
  configHash,
  DEFAULT_CONFIG,
  resultHash,
  type RunConfig,
  withOverrides,
} from "../lib/config/config.ts";
import {
  ABLATION_VARIANTS,
  ablationDisplayRows,
  ablationRow,
  markdownTable,
  seedEnsembleRow,
} from "../lib/eval/ablation.ts";
import type { ClipRecord } from "../lib/corpus/ravdess.ts";
import type { RunSummary } from "../lib/eval/summary.ts";

Deno.test("SpecAugment zeroes whole frame spans and band spans, and repeats with its seed", () => {
  const frames = 20, dims = 8, n = 3;
  const x = new Float32Array(n * frames * dims).fill(1);
  const cfg = { timeMasks: 1, timeWidth: 5, freqMasks: 1, freqWidth: 3 };
  specAugmentRows(x, n, frames, dims, cfg, createRng(1));
  const again = new Float32Array(n * frames * dims).fill(1);
  specAugmentRows(again, n, frames, dims, cfg, createRng(1));
  assertEquals(Array.from(x), Array.from(again));
  for (let r = 0; r < n; r++) {
    const row = x.subarray(r * frames * dims, (r + 1) * frames * dims);
    const zeroFrames = [...Array(frames).keys()].filter((t) =>
      row.subarray(t * dims, (t + 1) * dims).every((v) => v === 0)
    );
    const zeroBands = [...Array(dims).keys()].filter((d) =>
      [...Array(frames).keys()].every((t) => row[t * dims + d] === 0)
    );
    assert(zeroFrames.length <= 5 && zeroBands.length <= 3);
    // Every zero lies in a masked frame or a masked band.
    for (let t = 0; t < frames; t++) {
      for (let d = 0; d < dims; d++) {
        if (row[t * dims + d] === 0) assert(zeroFrames.includes(t) || zeroBands.includes(d));
      }
    }
  }
  assert(x.some((v) => v === 0), "some mask should have non-zero width with this seed");
});

Deno.test("label smoothing moves epsilon of each target row evenly over the classes", () => {
  const y = Float32Array.from([0, 1, 0, 0, 1, 0, 0, 0]);
  smoothLabels(y, 4, 0.2);
  assertEquals(Array.from(y).map((v) => +v.toFixed(6)), [
    0.05,
    0.85,
    0.05,
    0.05,
    0.85,
    0.05,
    0.05,
    0.05,
  ]);
  for (let r = 0; r < 2; r++) {
    assertAlmostEquals(y.subarray(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0), 1, 1e-6);
  }
});

Deno.test("mixup blends rows and targets with one weight, keeping each row mostly itself", () => {
  const n = 6, size = 4, classes = 3;
  const x = Float32Array.from({ length: n * size }, (_, i) => Math.floor(i / size));
  const y = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) y[i * classes + (i % classes)] = 1;
  const lambda = mixupRows(x, y, n, classes, 0.4, createRng(3));
  assert(lambda >= 0.5 && lambda <= 1, `lambda ${lambda}`);
  for (let i = 0; i < n; i++) {
    const targets = y.subarray(i * classes, (i + 1) * classes);
    assertAlmostEquals(targets.reduce((a, b) => a + b, 0), 1, 1e-6);
    assert(targets[i % classes] >= lambda - 1e-6, "a row's own class keeps at least lambda");
  }
  assertEquals(mixupRows(x, y, n, classes, 0, createRng(3)), 1, "alpha 0 is off");
  const draws = Array.from({ length: 2000 }, (_, i) => sampleBeta(2, createRng(i)));
  assertAlmostEquals(draws.reduce((a, b) => a + b, 0) / draws.length, 0.5, 0.02);
});

Deno.test("class weights give a class with half the rows twice the weight", () => {
  const labels = Int32Array.from([0, 1, 1, 2, 2]);
  const w = classWeights(labels, 4);
  assertAlmostEquals(w[0] / w[1], 2, 1e-6);
  assertAlmostEquals(w[1], 5 / (4 * 2), 1e-6);
  assertEquals(w[3], 0, "a class with no rows");
});

function clipsOf(actors: number[]): ClipRecord[] {
  return actors.map((actor, i) => ({ actor, id: `c${i}` }) as unknown as ClipRecord);
}

Deno.test("online normalisation meets each voice clip by clip; the last clip sees them all", () => {
  const clips = clipsOf([1, 1, 1, 1, 2, 2, 2]);
  const rows = clips.map((_, clip) => ({ clip }));
  const dim = 2;
  const data = Float32Array.from({ length: 7 * dim }, (_, i) => (i % 5) + (i >= 8 ? 10 : 0));
  const out = applyOnlineSpeakerNorm(clips, rows, data, dim, createRng(9));
  assertEquals(out, applyOnlineSpeakerNorm(clips, rows, data, dim, createRng(9)), "seeded order");
  // Among one actor's clips, exactly one (the last met) is scaled with all of that actor's data.
  for (const [actor, members] of [[1, [0, 1, 2, 3]], [2, [4, 5, 6]]] as const) {
    const all = fitScaler(
      Float32Array.from(members.flatMap((i) => [...data.subarray(i * dim, (i + 1) * dim)])),
      dim,
    );
    const full = members.filter((i) =>
      [0, 1].every((d) =>
        Math.abs(out[i * dim + d] - (data[i * dim + d] - all.mean[d]) / all.scale[d]) < 1e-5
      )
    );
    assert(full.length >= 1, `actor ${actor}: no clip normalised with all the voice's clips`);
  }
  // A voice's first clip is normalised by itself alone: with 2 features of one frame, all zeros.
  const firsts = [0, 1, 2, 3, 4, 5, 6].filter((i) => out[i * dim] === 0 && out[i * dim + 1] === 0);
  assertEquals(firsts.length, 2, "one first clip per actor");
});

Deno.test("runs are identified by what they compute: threads and parallelism do not count, later settings count as off", async () => {
  const base = DEFAULT_CONFIG;
  const elsewhere = { threads: "2", parallel: "1", resultsDir: "/elsewhere" };
  assertEquals(await resultHash(withOverrides(base, elsewhere)), await resultHash(base));
  assertEquals(await resultHash(withOverrides(base, { parallel: "3" })), await resultHash(base));
  assertNotEquals(await configHash(withOverrides(base, elsewhere)), await configHash(base));
  assertNotEquals(await resultHash(withOverrides(base, { epochs: "3" })), await resultHash(base));
  // A config stored before class balance and masks existed means them off.
  const off = withOverrides(base, {
    "train.classBalance": "false",
    "train.specTimeMasks": "0",
    "train.specFreqMasks": "0",
    "train.mixupAlpha": "0",
    "eval.speakerNorm": "none",
  });
  const old = structuredClone(off) as unknown as Record<string, Record<string, unknown>>;
  delete old.train.classBalance;
  delete old.train.specTimeMasks;
  delete old.eval.speakerNorm;
  assertEquals(
    await resultHash(completeStoredConfig(old as unknown as RunConfig)),
    await resultHash(off),
  );
});

function fakeSummary(runId: string, accuracies: number[]): RunSummary {
  const m = (a: number) => ({ accuracy: a, macroF1: a - 0.05, uar: a - 0.01 });
  return {
    runId,
    folds: accuracies.map((a, i) => ({
      name: `f${i}`,
      trainSeconds: 60,
      metrics: m(a),
      metrics7: m(a + 0.03),
    })),
    primary: { accuracy: { mean: accuracies.reduce((s, a) => s + a, 0) / accuracies.length } },
  } as unknown as RunSummary;
}

Deno.test("an ablation row pools folds over seeds and says how the seeds spread", () => {
  const variant = ABLATION_VARIANTS.find((v) => v.name === "frames+spk")!;
  const row = ablationRow(variant, [
    { seed: 42, summary: fakeSummary("a", [0.5, 0.7]) },
    { seed: 43, summary: fakeSummary("b", [0.6, 0.8]) },
  ]);
  assertAlmostEquals(row.accuracy.mean, 0.65, 1e-9);
  assertAlmostEquals(row.seedAccuracy.mean, 0.65, 1e-9);
  assertAlmostEquals(row.seedAccuracy.std, 0.05, 1e-9);
  assertAlmostEquals(row.accuracy7!.mean, 0.68, 1e-9);
  assertEquals(row.trainSeconds, 120);
  assertEquals(row.runIds, ["a", "b"]);
  const table = markdownTable(ablationDisplayRows({ protocol: "p", rows: [row] }));
  assert(
    table.includes("| frames+spk |") && table.includes("65.0 ± 11.2") &&
      table.includes("65.0 ± 5.0"),
    table,
  );
  assert(ablationDisplayRows(null)[0].ablation.includes("deno task ablation"));
  // Every variant states the settings it varies in full, so moving a default moves no row.
  for (const v of ABLATION_VARIANTS) {
    for (const key of ["model", "eval.speakerNorm", "train.classBalance", "train.mixupAlpha"]) {
      assert(key in v.overrides, `${v.name} leaves ${key} to the defaults`);
    }
  }
});

Deno.test("a seed ensemble averages each test clip's probabilities over the seeds' models", () => {
  const labels = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"];
  const probs = (p: Record<string, number>) =>
    Object.fromEntries(labels.map((l) => [l, p[l] ?? 0]));
  const row = (seedOne: Record<string, number>, truth: string, clip: string) => ({
    clip,
    actor: 1,
    fold: "fold-1-2",
    truth,
    predicted: "",
    probabilities: probs(seedOne),
  });
  const summary = (id: string) =>
    ({
      ...fakeSummary(id, [0.5]),
      primary: { labels, accuracy: { mean: 0.5 } },
    }) as unknown as RunSummary;
  // Clip a: seed 1 says happy (wrong), seed 2 says sad strongly (right): the mean says sad.
  // Clip b: both say calm; the truth is neutral, which 7 classes count as right.
  const runs = [
    {
      seed: 1,
      summary: summary("s1"),
      predictions: [row({ happy: 0.6, sad: 0.4 }, "sad", "a"), row({ calm: 0.9 }, "neutral", "b")],
    },
    {
      seed: 2,
      summary: summary("s2"),
      predictions: [row({ happy: 0.1, sad: 0.9 }, "sad", "a"), row({ calm: 0.8 }, "neutral", "b")],
    },
    {
      seed: 3,
      summary: summary("s3"),
      predictions: [row({ happy: 0.5, sad: 0.5 }, "sad", "a"), row({ calm: 0.7 }, "neutral", "b")],
    },
  ];
  const variant = ABLATION_VARIANTS[2];
  const ens = seedEnsembleRow(variant, runs);
  assertEquals(ens.accuracy.mean, 0.5, "a right, b wrong on 8 classes");
  assertEquals(ens.accuracy7!.mean, 1, "calm counts as neutral on 7 classes");
  assertEquals(ens.seeds, [1, 2, 3]);
  assertEquals(ens.trainSeconds, 3 * 60);
  assert(ens.name.endsWith("3-seed ensemble"));
  const short = [runs[0], runs[1], { ...runs[2], predictions: runs[2].predictions.slice(0, 1) }];
  let threw = false;
  try {
    seedEnsembleRow(variant, short);
  } catch (err) {
    threw = (err as Error).message.includes("do not test the same clips");
  }
  assert(threw, "mismatched runs are refused");
});
