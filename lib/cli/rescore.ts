/**
 * `deno task rescore --run=<run id or folder> --eval.tta=[pitch@-1,pitch@1]`: a trained run
 * scored again under settings that change only how test clips are scored, with the networks it
 * trained (no training: minutes become seconds). Writes a new run folder beside it, complete
 * like any other (the notebooks, the ablation table and `predict` read it), whose protocol text
 * names the run its networks came from, and prints both headlines.
 */
import { DEFAULT_CONFIG, type FlagSpec, parseArgs } from "../config/config.ts";
import { readRunRecord, resolveRun } from "../run/store.ts";
import { configForCorpus } from "../experiment/plan.ts";
import { runExperiment } from "../experiment/run.ts";
import { featurizeCorpus } from "../pipeline/featurize.ts";
import { openConfiguredCorpus } from "../corpus/locate.ts";
import { headline, type RunSummary } from "../eval/summary.ts";
import { readJsonFile } from "../cache/files.ts";
import { RUN_FILES } from "../run/record.ts";
import { join } from "node:path";
import { stderrSink } from "../util/terminal.ts";
import { fromRoot, runCli, typedKeys, withUserPaths } from "./common.ts";

export const RESCORE_FLAGS = { run: { kind: "string" } } satisfies Record<string, FlagSpec>;

/**
 * Settings a rescore may change: how test clips are scored (test-time variants; voices' own
 * batch-norm statistics; the linear member, fitted in seconds beside the stored networks), and
 * where things are.
 */
export const SCORING_SETTINGS = [
  "eval.tta",
  "eval.voiceBatchNorm",
  "eval.voiceEmbeddingNorm",
  "eval.clipBatchNorm",
  "train.linearWeight",
  "train.linearLambda",
  "train.linearStatistics",
  "data.dir",
  "cacheDir",
  "resultsDir",
  "workers",
];

/** The settings `args` types (`--data` is `data.dir`), its own flags left out. */
export function typedSettings(args: readonly string[]): string[] {
  return typedKeys(args).filter((key) => !(key in RESCORE_FLAGS));
}

if (import.meta.main) {
  await runCli(async () => {
    const sink = stderrSink();
    const wrong = typedSettings(Deno.args).filter((k) => !SCORING_SETTINGS.includes(k));
    if (wrong.length) {
      throw new Error(
        `rescore reuses a run's networks, so it changes only ${SCORING_SETTINGS.join(", ")}; --${
          wrong.join(", --")
        } would change what they are: train with \`deno task reproduce\``,
      );
    }
    const cli = parseArgs(Deno.args, DEFAULT_CONFIG, RESCORE_FLAGS);
    const resultsDir = withUserPaths(cli.config, Deno.args).resultsDir;
    const runDir = await resolveRun(fromRoot(resultsDir), (cli.flags.run as string) ?? "");
    const record = await readRunRecord(runDir);
    // The stored run's own settings, with the few typed now on top.
    const typed = withUserPaths(
      parseArgs(Deno.args, record.config, RESCORE_FLAGS).config,
      Deno.args,
    );
    const corpus = await openConfiguredCorpus(typed.data, sink, fromRoot(typed.cacheDir));
    const config = configForCorpus(typed, corpus);
    const before = await readJsonFile<RunSummary>(join(runDir, RUN_FILES.metrics));
    const features = await featurizeCorpus(config, corpus, sink, fromRoot(config.cacheDir));
    sink.write(
      `scoring ${runDir}'s networks again (eval.tta: ${config.eval.tta.join(", ") || "none"})\n`,
    );
    const outcome = await runExperiment(
      config,
      features,
      corpus,
      sink,
      fromRoot(config.resultsDir),
      {
        networksOf: runDir,
      },
    );
    console.log(outcome.table);
    console.log("");
    console.log(`as trained   ${headline(before)}; ${runDir}`);
    console.log(`rescored     ${headline(outcome.summary)}; ${outcome.runDir}`);
  });
}
