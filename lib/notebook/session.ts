/**
 * What every notebook starts with (Deno-only): the run config (defaults, plus any `--key=value`
 * overrides in `SER_ARGS`, which `deno task notebooks --epochs=3` sets), the corpus index, and a
 * progress sink that prints whole lines to the cell's output instead of redrawing a terminal bar.
 */
import { DEFAULT_CONFIG, parseArgs, type ParsedArgs } from "../config/config.ts";
import type { CorpusIndex } from "../corpus/index_fs.ts";
import { openConfiguredCorpus } from "../corpus/locate.ts";
import type { ProgressSink } from "../util/progress.ts";
import { fromRoot } from "../util/project.ts";
import { configForCorpus } from "../experiment/plan.ts";

export interface NotebookSession extends ParsedArgs {
  sink: ProgressSink;
  /** The overrides applied to the defaults, as given. */
  overrides: string[];
  corpus: CorpusIndex;
  cacheDir: string;
  resultsDir: string;
}

/** Whole lines to stdout, which the kernel turns into the cell's stream output. */
export function lineSink(write: (line: string) => void = console.log): ProgressSink {
  let pending = "";
  return {
    isTerminal: false,
    write(text) {
      pending += text.replace(/\r/g, "\n");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) write(line);
    },
  };
}

export function sessionArgs(env = Deno.env.get("SER_ARGS") ?? ""): string[] {
  return env.split(/\s+/).filter((a) => a.length > 0);
}

/** Config from `SER_ARGS` plus `extra` overrides, and the corpus (found, or downloaded). */
export async function openSession(extra: string[] = []): Promise<NotebookSession> {
  const overrides = [...sessionArgs(), ...extra];
  const parsed = parseArgs(overrides, DEFAULT_CONFIG);
  if (parsed.positional.length) {
    throw new Error(`SER_ARGS: expected --key=value settings, got ${parsed.positional.join(" ")}`);
  }
  const ctx = { ...parsed, sink: lineSink() };
  const corpus = await openConfiguredCorpus(
    ctx.config.data,
    ctx.sink,
    fromRoot(ctx.config.cacheDir),
  );
  return {
    ...ctx,
    // A corpus of your own brings its labels (and a manifest's split its test speakers).
    config: configForCorpus(ctx.config, corpus),
    overrides,
    corpus,
    cacheDir: fromRoot(ctx.config.cacheDir),
    resultsDir: fromRoot(ctx.config.resultsDir),
  };
}
