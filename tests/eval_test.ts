/**
 * Evaluation: metrics on confusion matrices worked out by hand, the spread over folds, the
 * 7-class merge, and the protocols' leakage guarantees (and the leak `seed-leaky` exists to show).
 */
import {
  applyOnlineSpeakerNorm,
  applySpeakerScalers,
  fitSpeakerScalers,
} from "../lib/normalise/speaker.ts";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import {
  argmaxRows,
  confusionMatrix,
  meanStd,
  mergeCalmIntoNeutral,
  metricsFromConfusion,
} from "../lib/eval/metrics.ts";
import {
  assertNoLeak,
  leakyPlan,
  randomPlan,
  speakerPlans,
  stratifiedClipSplit,
} from "../lib/experiment/splits.ts";
import { actorKFold } from "../lib/experiment/splits.ts";
import { parseRavdessName } from "../lib/corpus/ravdess.ts";
import { type ClipRecord, EMOTIONS_8 } from "../lib/schema/corpus.ts";
import { ravdessName } from "./helpers.ts";
import { formatSummary, summarizeRun } from "../lib/eval/summary.ts";
import { createRng } from "../lib/util/random.ts";
import { prepareFold } from "../lib/experiment/fold.ts";
import { comparePredictions, mcnemarExactP } from "../lib/eval/compare.ts";
import type { PredictionRow } from "../lib/eval/predictions.ts";
import { allocateRows } from "../lib/features/rows.ts";
import { parseArgs } from "../lib/config/parse.ts";
import { applyScaler, fitScaler } from "../lib/normalise/scaler.ts";

Deno.test("metrics of a known 3-class confusion matrix (as scikit-learn computes them)", () => {
  // true \ predicted
  const cm = [
    [5, 1, 0], // a: recall 5/6
    [2, 3, 1], // b: recall 3/6
    [0, 0, 0], // c: no test rows, never predicted correctly
  ];
  const m = metricsFromConfusion(cm, ["a", "b", "c"]);
  assertEquals(m.rows, 12);
  assertAlmostEquals(m.accuracy, 8 / 12, 1e-12);
  // precision a = 5/7, b = 3/4, c = 0/1 (one row predicted c, none correct)
  assertAlmostEquals(m.perClass[0].precision, 5 / 7, 1e-12);
  assertAlmostEquals(m.perClass[1].precision, 3 / 4, 1e-12);
  assertEquals(m.perClass[2].precision, 0);
  assertEquals(m.perClass[2].recall, 0);
  const f1a = (2 * (5 / 7) * (5 / 6)) / (5 / 7 + 5 / 6);
  const f1b = (2 * (3 / 4) * (1 / 2)) / (3 / 4 + 1 / 2);
  assertAlmostEquals(m.perClass[0].f1, f1a, 1e-12);
  assertAlmostEquals(m.macroF1, (f1a + f1b + 0) / 3, 1e-12);
  assertAlmostEquals(m.uar, (5 / 6 + 3 / 6 + 0) / 3, 1e-12);
  assertEquals(m.perClass.map((c) => c.support), [6, 6, 0]);
});

Deno.test("a perfect and a constant classifier", () => {
  const truth = [0, 1, 2, 3, 0, 1, 2, 3];
  const perfect = metricsFromConfusion(confusionMatrix(truth, truth, 4), ["w", "x", "y", "z"]);
  assertEquals([perfect.accuracy, perfect.uar, perfect.macroF1], [1, 1, 1]);
  const constant = metricsFromConfusion(confusionMatrix(truth, truth.map(() => 2), 4), [
    "w",
    "x",
    "y",
    "z",
  ]);
  assertEquals(constant.accuracy, 0.25);
  assertEquals(constant.uar, 0.25);
  assertAlmostEquals(constant.macroF1, (2 * 0.25 * 1) / 1.25 / 4, 1e-12);
  assertThrows(() => confusionMatrix([0, 4], [0, 1], 4), Error, "out of range");
});

Deno.test("spread over folds is the population std: the reference 47.5/29.2/33.3/38.3 gives 37.1 ± 6.8", () => {
  const s = meanStd([47.5, 29.2, 33.3, 38.3]);
  assertAlmostEquals(s.mean, 37.075, 1e-9);
  assertAlmostEquals(s.std, 6.83, 0.005);
});

Deno.test("an 8-class model scores on 7 classes by adding calm's probability to neutral's", () => {
  const p8 = Float32Array.from([0.3, 0.35, 0.05, 0.05, 0.05, 0.1, 0.05, 0.05]);
  const p7 = mergeCalmIntoNeutral(p8);
  assertEquals(p7.length, 7);
  assertAlmostEquals(p7[0], 0.65, 1e-6);
  assertEquals(argmaxRows(p8, 8)[0], 1); // calm
  assertEquals(argmaxRows(p7, 7)[0], 0); // neutral
});

Deno.test("the scaler is fitted on the rows it is given and leaves the rest alone", () => {
  const train = Float32Array.from([1, 10, 3, 10, 5, 10]); // 3 rows x 2 features
  const s = fitScaler(train, 2);
  assertEquals(s.mean, [3, 10]);
  assertAlmostEquals(s.scale[0], Math.sqrt(8 / 3), 1e-12);
  assertEquals(s.scale[1], 1, "a constant feature is not divided by zero");
  const test = applyScaler(s, Float32Array.from([3, 12]));
  assertEquals(Array.from(test), [0, 2]);
});

/** 4 actors x 8 emotions x 2 statements of clip records, no audio needed. */
function records(): ClipRecord[] {
  const out: ClipRecord[] = [];
  for (let a = 1; a <= 4; a++) {
    for (let e = 1; e <= 8; e++) {
      for (let s = 1; s <= 2; s++) {
        const name = ravdessName(a, e, s);
        out.push({
          ...parseRavdessName(name),
          id: name.replace(".wav", ""),
          relPath: `Actor_0${a}/${name}`,
          sizeBytes: 0,
        });
      }
    }
  }
  return out;
}

/** Two derived rows per clip of the given clips, as the augment stage would make them. */
function derivedFor(clipIdx: number[]) {
  return { rows: clipIdx.flatMap((clipIndex) => [{ clipIndex }, { clipIndex }]) };
}

Deno.test("speaker protocol: no test actor's clip, and no row derived from one, trains", () => {
  const clips = records();
  const splits = actorKFold(clips, 2);
  const derived = splits.map((s) =>
    derivedFor(clips.flatMap((c, i) => (s.trainActors.includes(c.actor) ? [i] : [])))
  );
  const plans = speakerPlans(clips, splits, derived, true);
  for (const p of plans) {
    assert(!p.leaky);
    assertEquals(p.train.length, 2 * 16 * 3, "originals + 2 derived rows per training clip");
    assertEquals(p.test.length, 2 * 16);
    assert(p.train.every((r) => !p.testActors.includes(clips[r.clip].actor)));
    assert(p.test.every((r) => r.derived === -1 && p.testActors.includes(clips[r.clip].actor)));
  }
  // Handing fold 1 the derived rows of fold 2 (its test actors' rows) is refused.
  assertThrows(
    () => speakerPlans(clips, splits, [derived[1], derived[0]], true),
    Error,
    "leakage guard",
  );
});

Deno.test("random protocol: stratified by emotion, augmented rows of training files only", () => {
  const clips = records();
  const { train, test } = stratifiedClipSplit(clips, 0.25, 7);
  assertEquals(test.length, 8 * 2, "a quarter of each emotion's 8 clips");
  for (const e of EMOTIONS_8) assertEquals(test.filter((i) => clips[i].emotion === e).length, 2);
  assertEquals(new Set([...train, ...test]).size, clips.length);
  const derived = derivedFor(clips.map((_, i) => i)); // every file augmented, as the stage does
  const plan = randomPlan(clips, derived, 0.25, 7, true);
  const testClips = new Set(plan.test.map((r) => r.clip));
  assert(plan.train.every((r) => !testClips.has(r.clip)));
  assertEquals(plan.train.length, 48 * 3);
  assertEquals(randomPlan(clips, derived, 0.25, 7, true).test, plan.test, "seeded");
});

Deno.test("seed-leaky protocol is flagged and does leak: rows of test recordings train", () => {
  const clips = records();
  const derived = derivedFor(clips.map((_, i) => i));
  const plan = leakyPlan(clips, derived, 0.25, 3, true);
  assert(plan.leaky);
  assertEquals(plan.train.length + plan.test.length, clips.length * 3);
  const testClips = new Set(plan.test.map((r) => r.clip));
  const shared = plan.train.filter((r) => testClips.has(r.clip)).length;
  assert(shared > 0, "some training rows come from recordings that are also tested");
  // The same plan marked honest fails the guard.
  assertThrows(() => assertNoLeak({ ...plan, leaky: false }, derived), Error, "leakage guard");
});

Deno.test("speaker normalisation: each voice's own offset and spread are removed, from its originals only", () => {
  // Two actors saying the same two things, the second 10 units louder and twice as spread.
  const clips = [1, 1, 2, 2].map((actor, i) => ({ actor, id: `c${i}` })) as ClipRecord[];
  const originals = new Float32Array([1, 5, 3, 7, 12, 20, 16, 24]); // [clip][2 features]
  const rows = (idx: number[]) =>
    Float32Array.from(idx.flatMap((i) => [originals[2 * i], originals[2 * i + 1]]));
  const scalers = fitSpeakerScalers(clips, [1, 2], 2, rows);
  const refs = [0, 1, 2, 3].map((clip) => ({ clip }));
  const out = applySpeakerScalers(scalers, clips, refs, originals);
  assertEquals(Array.from(out.subarray(0, 4)), [-1, -1, 1, 1]);
  assertEquals(
    Array.from(out.subarray(4, 8)),
    [-1, -1, 1, 1],
    "the louder voice maps to the same values",
  );
  // A derived row (e.g. a noisy copy) of actor 2 is scaled with actor 2's statistics.
  const derived = applySpeakerScalers(scalers, clips, [{ clip: 3 }], new Float32Array([18, 22]));
  assertEquals(Array.from(derived), [2, 0]); // (18 - 14) / 2, (22 - 22) / 2
  assertThrows(
    () => applySpeakerScalers(new Map(), clips, [{ clip: 0 }], new Float32Array(2)),
    Error,
    "no statistics for actor 1",
  );
});

Deno.test("augmentedAsVoices: a voice 3 semitones up is z-scored with its own statistics, as a test voice is", () => {
  // Actors 1 and 2 train, actor 3 is tested; two clips each. Each training clip has one derived
  // row, `pitch@3`, that moves the first feature up by 10 (what a higher voice does to a pitch
  // column) and the second by 1.
  const clips = [1, 1, 2, 2, 3, 3].map((actor, i) => ({
    actor,
    id: `c${i}`,
    relPath: `c${i}.wav`,
    emotion: i % 2 ? "happy" : "sad",
  })) as ClipRecord[];
  const dims = { vector: 2, frames: 1, logmel: 1, mfccDelta: 1, prosody: 1 };
  const original = allocateRows(6, dims);
  original.vectors.set([1, 5, 3, 7, 12, 20, 16, 24, 0, 1, 2, 3]);
  const derived = allocateRows(4, dims);
  for (let i = 0; i < 4; i++) {
    derived.vectors.set([original.vectors[2 * i] + 10, original.vectors[2 * i + 1] + 1], 2 * i);
  }
  const src = {
    clips,
    dims,
    original,
    augmented: [derived],
    derivedRecipeRows: [["pitch@3", "pitch@3", "pitch@3", "pitch@3"]],
  };
  const plan = {
    name: "fold-3",
    protocol: "speaker" as const,
    leaky: false,
    augmented: 0,
    trainActors: [1, 2],
    testActors: [3],
    train: [0, 1, 2, 3].flatMap((clip) => [{ clip, derived: -1 }, { clip, derived: clip }]),
    val: [],
    test: [{ clip: 4, derived: -1 }, { clip: 5, derived: -1 }],
  };
  const config = (asVoices: boolean) =>
    parseArgs(["--model=seed", `--eval.augmentedAsVoices=${asVoices}`]).config;
  const rowsOf = (x: Float32Array) => Array.from({ length: 8 }, (_, i) => [x[2 * i], x[2 * i + 1]]);

  // As voices: each derived row lands where its original does.
  const own = rowsOf(prepareFold(config(true), src, plan, 1).train.x);
  for (let i = 0; i < 8; i += 2) {
    assertAlmostEquals(own[i][0], own[i + 1][0], 1e-5);
    assertAlmostEquals(own[i][1], own[i + 1][1], 1e-5);
  }
  // With the actor's statistics (the default): the derived rows keep the shift.
  const kept = rowsOf(prepareFold(config(false), src, plan, 1).train.x);
  assert(kept[1][0] - kept[0][0] > 1, "the higher voice stays higher than its own");

  // A strict setting fits no voice's statistics: the lever is refused there.
  assertThrows(
    () => parseArgs(["--eval.speakerNorm=none", "--eval.augmentedAsVoices=true"]),
    Error,
    "eval.augmentedAsVoices needs a speakerNorm that fits a voice's statistics",
  );
});

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

function clipsOf(actors: number[]): ClipRecord[] {
  return actors.map((actor, i) => ({ actor, id: `c${i}` }) as unknown as ClipRecord);
}

Deno.test("the results table widens its columns for long fold names (test-21-22-23-24)", () => {
  const m = metricsFromConfusion([[3, 1], [0, 4]], ["a", "b"]);
  const fold = (name: string, testActors: number[]) => ({
    name,
    trainActors: [1],
    testActors,
    trainRows: 120,
    valRows: 0,
    testRows: 60,
    trainSeconds: 12,
    metrics: m,
  });
  const table = formatSummary(
    summarizeRun("r", "temporal", "speaker", false, [
      fold("test-21-22-23-24", [21, 22, 23, 24]),
      fold("fold-1-2", [1, 2]),
    ]),
  );
  const row = table.split("\n").find((l) => l.startsWith("test-21-22-23-24"))!;
  assert(/^test-21-22-23-24\s+21,22,23,24\s+120\s+60\s+87\.5 %/.test(row), row);
  // Every row's columns start at the same place as the header's.
  const lines = table.split("\n").filter((l) => /^(fold|test-|fold-)/.test(l));
  const col = (l: string) => l.indexOf(l.startsWith("fold ") ? "test actors" : l.split(/\s+/)[1]);
  assertEquals(new Set(lines.map(col)).size, 1, lines.join("\n"));
});

Deno.test("comparing two runs clip by clip: only the clips they disagree on carry evidence", () => {
  // Four speakers, 20 clips each. Run B fixes 10 of A's errors, all on speaker 1, and breaks none.
  const rows = (fixed: number): PredictionRow[] =>
    Array.from({ length: 80 }, (_, i) => ({
      clip: `c${i}`,
      actor: 1 + Math.floor(i / 20),
      fold: "f",
      truth: "sad",
      predicted: i % 4 === 0 || i < fixed ? "sad" : "calm",
      probabilities: {},
    }));
  const a = rows(0), b = rows(20);
  const c = comparePredictions(a, b, 2000, 3);
  assertEquals([c.onlyA, c.onlyB], [0, 15]);
  assertAlmostEquals(c.difference, 15 / 80, 1e-12);
  assertAlmostEquals(c.mcnemarP, 2 * 0.5 ** 15, 1e-12);
  // The whole gain sits on one voice of four: resampling speakers can leave it out entirely.
  assertEquals(c.speakerInterval[0], 0);
  assert(c.speakerInterval[1] > 0.3);
  assertEquals(c.perSpeaker.map((s) => s.b - s.a), [0.75, 0, 0, 0]);

  // A run against itself: nothing to tell.
  const same = comparePredictions(a, a, 100);
  assertEquals([same.difference, same.mcnemarP], [0, 1]);
  // 6 against 2 disagreements: p = 2 * (1 + 8 + 28) / 256.
  assertAlmostEquals(mcnemarExactP(6, 2), (2 * 37) / 256, 1e-12);
  assertThrows(() => comparePredictions(a, b.slice(1), 10), Error, "different clips");
  assertThrows(
    () => comparePredictions(a, [...b.slice(1), { ...b[0], clip: "other" }], 10),
    Error,
    "clip c0 is in run A's predictions only",
  );
});
