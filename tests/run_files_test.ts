/**
 * A run's files read back as written: `predictions.csv` of a run on one corpus, of a run that
 * trained on two (`data.trainAlso`), and of a cross-corpus run, through the writer, the reader and
 * `loadRun`.
 */
import { join } from "node:path";
import { assertEquals, assertThrows } from "./assert.ts";
import { parsePredictionsCsv, type PredictionRow, predictionsCsv } from "../lib/run/predictions.ts";
import { loadRun } from "../lib/run/store.ts";
import { DEFAULT_CONFIG } from "../lib/config/config.ts";
import { LABELS, writeSyntheticRun } from "./synthetic_run.ts";

function rowsOf(corpora: string[]): PredictionRow[] {
  return corpora.map((corpus, i) => ({
    clip: corpus === "emodb" ? `03a01F${"abc"[i % 3]}` : `03-01-0${1 + (i % 8)}-01-01-01-0${1 + i}`,
    corpus,
    actor: corpus === "emodb" ? 3 : 1 + i,
    fold: i < 2 ? "fold-1-2" : "fold-3-4",
    truth: LABELS[i % 8],
    predicted: LABELS[(i + 1) % 8],
    probabilities: Object.fromEntries(
      LABELS.map((l, c) => [l, Number(((c + i) / 100).toFixed(5))]),
    ),
  }));
}

Deno.test("predictions.csv reads back as written: one corpus, trained on two, and cross-corpus", () => {
  const cases: [string, PredictionRow[], boolean][] = [
    ["one corpus", rowsOf(["ravdess", "ravdess", "ravdess", "ravdess"]), false],
    // --data.trainAlso=[emodb]: the test clips are RAVDESS's, the run's clips two corpora's.
    ["trained on two", rowsOf(["ravdess", "ravdess", "ravdess"]), true],
    ["cross-corpus", rowsOf(["emodb", "emodb", "emodb"]), true],
  ];
  for (const [name, rows, mixed] of cases) {
    const csv = predictionsCsv(rows, LABELS, mixed);
    assertEquals(csv.split("\n")[0].split(",").includes("corpus"), mixed, name);
    const back = parsePredictionsCsv(csv, `${name}.csv`);
    const expected = mixed ? rows : rows.map(({ corpus: _, ...r }) => r);
    assertEquals(back, expected, name);
  }
  assertThrows(
    () => parsePredictionsCsv("a,b,c\n1,2,3\n", "x.csv"),
    Error,
    "x.csv: not a predictions file",
  );
});

Deno.test("a run folder whose predictions have a corpus column loads (the evaluate notebook's path)", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const config = {
      ...DEFAULT_CONFIG,
      data: { ...DEFAULT_CONFIG.data, trainAlso: ["emodb" as const] },
    };
    const runId = await writeSyntheticRun(tmp, config);
    const dir = join(tmp, runId);
    const rows = rowsOf(["ravdess", "ravdess"]);
    await Deno.writeTextFile(join(dir, "predictions.csv"), predictionsCsv(rows, LABELS, true));
    await Deno.writeTextFile(join(dir, "history.json"), JSON.stringify({ folds: [] }));
    const run = await loadRun(dir);
    assertEquals(run.predictions, rows);
    assertEquals(run.config.data.trainAlso, ["emodb"]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
