/**
 * Shared CLI plumbing (Deno-only): parse `--key=value` settings, find or fetch the corpus,
 * report errors as one clear line instead of a stack trace.
 */
import { DEFAULT_CONFIG, parseArgs, type ParsedArgs, type RunConfig } from "../config/config.ts";
import { openConfiguredCorpus } from "../corpus/locate.ts";
import { fromRoot, userPath } from "../util/project.ts";
import type { CorpusIndex } from "../corpus/index_fs.ts";
import type { ProgressSink } from "../util/progress.ts";
import { stderrSink } from "../util/terminal.ts";
import { checkSplitSettings } from "../experiment/splits.ts";
import { assertWritableDir } from "../cache/files.ts";

export interface CliContext extends ParsedArgs {
  sink: ProgressSink;
}

export function cliContext(args: readonly string[] = Deno.args): CliContext {
  const parsed = parseArgs(args, DEFAULT_CONFIG);
  return { ...parsed, config: withUserPaths(parsed.config, args), sink: stderrSink() };
}

/**
 * `config` with the folders the user typed (`--data`, `--resultsDir`, `--cacheDir`) made
 * absolute against the folder they typed the command in (`userPath`); the defaults stay
 * relative to the project.
 */
export function withUserPaths(config: RunConfig, args: readonly string[]): RunConfig {
  const typed = new Set(typedKeys(args));
  const typedPath = (key: string, value: string) =>
    typed.has(key) && value ? userPath(value) : value;
  return {
    ...config,
    resultsDir: typedPath("resultsDir", config.resultsDir),
    cacheDir: typedPath("cacheDir", config.cacheDir),
    data: { ...config.data, dir: typedPath("data.dir", config.data.dir) },
  };
}

export { fromRoot };

/** The keys of the `--key[=value]` arguments typed (`--data` is `data.dir`). */
export function typedKeys(args: readonly string[]): string[] {
  return args.filter((a) => a.startsWith("--")).map((a) => {
    const key = a.slice(2).split("=")[0];
    return key === "data" ? "data.dir" : key;
  });
}

/** The configured corpus, found or downloaded, indexed, with a line saying what it holds. */
export function openCorpus(ctx: CliContext): Promise<CorpusIndex> {
  return openConfiguredCorpus(ctx.config.data, ctx.sink, fromRoot(ctx.config.cacheDir));
}

/**
 * What can be known to fail once the corpus is indexed, refused then, before featurizing:
 * split settings the corpus cannot meet, and result or cache folders that cannot be written.
 */
export async function checkBeforeWork(config: RunConfig, corpus: CorpusIndex): Promise<void> {
  checkSplitSettings(corpus.clips, config.split, config.eval.protocol);
  await assertWritableDir(fromRoot(config.resultsDir), "--resultsDir");
  await assertWritableDir(fromRoot(config.cacheDir), "--cacheDir");
}

/**
 * Under a task runner (`deno task` sets INIT_CWD), end when the runner does: killing the
 * `deno task reproduce` process would otherwise leave this one training on, orphaned. A parent
 * that goes away hands its children to another process, so the parent id changing is the sign.
 */
export function exitWithParent(env = Deno.env.get("INIT_CWD")): void {
  if (env === undefined) return;
  const parent = Deno.ppid;
  const timer = setInterval(() => {
    if (Deno.ppid !== parent) {
      console.error(`error: the task runner (pid ${parent}) is gone; stopping`);
      Deno.exit(143);
    }
  }, 500);
  Deno.unrefTimer(timer);
}

/** Runs a CLI main; any error becomes `error: message` on stderr and exit code 1. */
export async function runCli(main: () => Promise<void>): Promise<void> {
  exitWithParent();
  try {
    await main();
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    if (Deno.env.get("SER_DEBUG")) console.error((err as Error).stack);
    Deno.exit(1);
  }
}
