/**
 * Stored runs of one setting (different seeds) averaged per test clip, as one ensemble, scored as
 * the ablation's seed-ensemble rows are (`seedEnsembleRow`): what more networks per fold would
 * give, measured without training them.
 *
 *   deno run -A tools/ensemble_runs.ts RUN_DIR RUN_DIR [...]
 */
import { loadRun } from "../lib/run/store.ts";
import { seedEnsembleRow } from "../lib/eval/ablation.ts";
import { runCli } from "../lib/cli/common.ts";

if (import.meta.main) {
  await runCli(async () => {
    if (Deno.args.length < 2) throw new Error("give two or more run folders of one setting");
    const runs = await Promise.all(Deno.args.map(async (dir) => {
      const r = await loadRun(dir);
      return { seed: r.config.seed, summary: r.summary, predictions: r.predictions };
    }));
    const ensemble = String(
      runs[0].summary.folds.length && (await loadRun(Deno.args[0])).config.train.ensemble,
    );
    const row = seedEnsembleRow(
      { name: "runs", change: "", overrides: { "train.ensemble": ensemble } },
      runs,
    );
    const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
    console.log(
      `${row.change} (seeds ${row.seeds.join(", ")}): accuracy ${pct(row.accuracy.mean)} ± ${
        (100 * row.accuracy.std).toFixed(1)
      }, UAR ${pct(row.uar.mean)}, macro-F1 ${row.macroF1.mean.toFixed(3)}${
        row.accuracy7 ? `, 7-class ${pct(row.accuracy7.mean)}` : ""
      }`,
    );
  });
}
