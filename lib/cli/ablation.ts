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
import { PROTOCOL_TEXT } from "../eval/protocols.ts";
import { runAblation, writeAblation } from "../pipeline/ablation.ts";
import { cliContext, fromRoot, openCorpus, runCli } from "./common.ts";

export const DEFAULT_ABLATION_SEEDS = [42, 43, 44];

/** Splits the study's own flags off the arguments. */
export function takeAblationArgs(args: readonly string[]) {
  let variants = ABLATION_VARIANTS;
  let seeds = DEFAULT_ABLATION_SEEDS;
  let tableOnly = false;
  const rest: string[] = [];
  for (const a of args) {
    if (a.startsWith("--variants=")) variants = a.slice(11).split(",").map(variantByName);
    else if (a.startsWith("--seeds=")) {
      seeds = a.slice(8).split(",").map((s) => {
        const n = Number(s);
        if (!Number.isInteger(n)) throw new Error(`--seeds: '${s}' is not an integer`);
        return n;
      });
    } else if (a === "--table-only") tableOnly = true;
    else rest.push(a);
  }
  return { variants, seeds, tableOnly, rest };
}

if (import.meta.main) {
  await runCli(async () => {
    const { variants, seeds, tableOnly, rest } = takeAblationArgs(Deno.args);
    const ctx = cliContext(rest);
    const corpus = await openCorpus(ctx);
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
