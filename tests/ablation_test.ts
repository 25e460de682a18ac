/**
 * How the ablation study finds its runs and reports them: run identity across settings added
 * later, table rows pooled over seeds, and the seed ensemble.
 */
import { assert, assertAlmostEquals, assertEquals, assertNotEquals } from "./assert.ts";
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
import type { RunSummary } from "../lib/eval/summary.ts";

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
  // A run stored before the static trainer trained on tfjs: it is not today's default's result.
  const beforeEngines = structuredClone(base) as unknown as Record<string, Record<string, unknown>>;
  delete beforeEngines.train.engine;
  const completed = completeStoredConfig(beforeEngines as unknown as RunConfig);
  assertEquals(completed.train.engine, "tfjs");
  assertNotEquals(await resultHash(completed), await resultHash(base));
  assertEquals(
    await resultHash(completed),
    await resultHash(withOverrides(base, { "train.engine": "tfjs" })),
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
    for (
      const key of [
        "model",
        "eval.speakerNorm",
        "train.classBalance",
        "train.mixupAlpha",
        "augment.recipe",
        "temporal.pooling",
      ]
    ) {
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

Deno.test("the ablation's last row is today's default, so the study measures what reproduce trains", async () => {
  const last = ABLATION_VARIANTS[ABLATION_VARIANTS.length - 1];
  assertEquals(
    await resultHash(withOverrides(DEFAULT_CONFIG, last.overrides)),
    await resultHash(DEFAULT_CONFIG),
    `${last.name} differs from DEFAULT_CONFIG: add a row for the new default`,
  );
});
