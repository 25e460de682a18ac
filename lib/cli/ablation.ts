/**
 * `deno task ablation [--variants=a,b] [--seeds=42,43,44] [--table-only] [--key=value ...]`:
 * the ablation study under the speaker-independent protocol. Finished runs are reused (found by
 * what they compute), missing ones are trained, and `results/ablation/ablation.{json,md}` hold
 * the table: what changed, accuracy mean ± std over folds and seeds, macro-F1, UAR, 7-class
 * accuracy and training time.
 */
import {
  ABLATION_VARIANTS,
  ablationTableRows,
  markdownTable,
  variantByName,
} from "../eval/ablation.ts";
import { PROTOCOL_TEXT } from "../eval/summary.ts";
import { runAblation, writeAblation } from "../experiment/ablation.ts";
import { configForCorpus } from "../experiment/plan.ts";
import { checkBeforeWork, fromRoot, openCorpus, runCli, withUserPaths } from "./common.ts";
import { DEFAULT_CONFIG, type FlagSpec, parseArgs } from "../config/config.ts";
import { stderrSink } from "../util/terminal.ts";

export const DEFAULT_ABLATION_SEEDS = [42, 43, 44];

/** `--variants=a,b` (rows to train), `--seeds=42,43` and `--table-only` (train nothing). */
export const ABLATION_FLAGS = {
  variants: { kind: "list" },
  seeds: {
    kind: "list",
    check: (v) => {
      const bad = (v as string[]).find((s) => !Number.isInteger(Number(s)));
      return bad === undefined ? undefined : `'${bad}' is not an integer`;
    },
  },
  "table-only": { kind: "boolean" },
} satisfies Record<string, FlagSpec>;

if (import.meta.main) {
  await runCli(async () => {
    const parsed = parseArgs(Deno.args, DEFAULT_CONFIG, ABLATION_FLAGS);
    const ctx = { ...parsed, config: withUserPaths(parsed.config, Deno.args), sink: stderrSink() };
    const variants = (parsed.flags.variants as string[] | undefined)?.map(variantByName) ??
      ABLATION_VARIANTS;
    const seeds = (parsed.flags.seeds as string[] | undefined)?.map(Number) ??
      DEFAULT_ABLATION_SEEDS;
    const tableOnly = parsed.flags["table-only"] === true;
    const corpus = await openCorpus(ctx);
    ctx.config = configForCorpus(ctx.config, corpus);
    await checkBeforeWork(ctx.config, corpus);
    const resultsDir = fromRoot(ctx.config.resultsDir);
    const { rows, missing } = await runAblation(
      ctx.config,
      corpus,
      { cacheDir: fromRoot(ctx.config.cacheDir), resultsDir },
      { variants, seeds, tableOnly },
      ctx.sink,
    );
    const protocol = `${PROTOCOL_TEXT.speaker}; ${ctx.config.split.folds}-fold CV by actor over ${
      new Set(corpus.clips.map((c) => c.actor)).size
    } actors, ${ctx.config.eval.labels}`;
    const files = await writeAblation(resultsDir, rows, protocol);
    console.log(markdownTable(ablationTableRows(rows)));
    if (missing.length) console.log(`not trained yet (--table-only): ${missing.join("; ")}`);
    console.log(`written: ${files.markdown}, ${files.json}`);
  });
}
