/**
 * Two stored runs of the same test clips compared clip by clip (`lib/eval/compare.ts`): the
 * difference in accuracy, McNemar's exact test on the clips they disagree on, and a 95 % interval
 * from resampling the test speakers. Run A is the baseline.
 *
 *   deno run -A tools/compare_runs.ts RUN_A RUN_B
 */
import { loadRun } from "../lib/run/store.ts";
import { comparePredictions, formatComparison } from "../lib/eval/compare.ts";
import { runCli } from "../lib/cli/common.ts";

if (import.meta.main) {
  await runCli(async () => {
    if (Deno.args.length !== 2) throw new Error("give two run folders: the baseline, then B");
    const [a, b] = await Promise.all(Deno.args.map((dir) => loadRun(dir)));
    console.log(formatComparison(comparePredictions(a.predictions, b.predictions)));
  });
}
