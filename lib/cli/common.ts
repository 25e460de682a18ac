/**
 * Shared CLI plumbing (Deno-only): parse `--key=value` settings, find or fetch the corpus,
 * report errors as one clear line instead of a stack trace.
 */
import { DEFAULT_CONFIG, parseArgs, type ParsedArgs } from "../config/config.ts";
import { openConfiguredCorpus } from "../corpus/locate.ts";
import { fromRoot } from "../util/project.ts";
import type { CorpusIndex } from "../corpus/index_fs.ts";
import type { ProgressSink } from "../util/progress.ts";
import { stderrSink } from "../util/terminal.ts";

export interface CliContext extends ParsedArgs {
  sink: ProgressSink;
}

export function cliContext(args: readonly string[] = Deno.args): CliContext {
  return { ...parseArgs(args, DEFAULT_CONFIG), sink: stderrSink() };
}

export { fromRoot };

/** The configured corpus, found or downloaded, indexed, with a line saying what it holds. */
export function openCorpus(ctx: CliContext): Promise<CorpusIndex> {
  return openConfiguredCorpus(ctx.config.data, ctx.sink);
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
