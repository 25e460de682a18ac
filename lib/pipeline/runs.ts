/**
 * Finding and reading finished runs (Deno only). A run is reused only when its config (less the
 * settings that only change speed) hashes to the same value as the one asked for, so a notebook
 * never shows a result trained with other settings (fewer epochs, another seed) as this one's.
 */
import { join } from "node:path";
import { completeStoredConfig, resultHash, type RunConfig } from "../config/config.ts";
import type { CorpusIndex } from "../corpus/index_fs.ts";
import type { RunHistory, RunSummary } from "../eval/summary.ts";
import { parsePredictionsCsv, type PredictionRow } from "../eval/predictions.ts";
import type { ProgressSink } from "../util/progress.ts";
import { featurizeCorpus } from "./featurize.ts";
import { type ExperimentHooks, runExperiment } from "./experiment.ts";
import { RUN_FILES } from "./run_folder.ts";

export interface StoredRun {
  dir: string;
  runId: string;
  configHash: string;
  config: RunConfig;
  summary: RunSummary;
  history: RunHistory;
  predictions: PredictionRow[];
}

async function readJson<T>(path: string): Promise<T> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as Error).message})`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

export async function loadRun(dir: string): Promise<StoredRun> {
  const meta = await readJson<{ runId: string; configHash: string; config: RunConfig }>(
    join(dir, RUN_FILES.config),
  );
  const predictionsPath = join(dir, RUN_FILES.predictions);
  return {
    dir,
    runId: meta.runId,
    configHash: meta.configHash,
    config: meta.config,
    summary: await readJson<RunSummary>(join(dir, RUN_FILES.metrics)),
    history: await readJson<RunHistory>(join(dir, RUN_FILES.history)),
    predictions: parsePredictionsCsv(await Deno.readTextFile(predictionsPath), predictionsPath),
  };
}

/**
 * The newest finished run under `resultsDir` that computed what `config` asks for (same
 * `resultHash`; settings added since the run count as their "off" value), or null.
 */
export async function findRun(resultsDir: string, config: RunConfig): Promise<string | null> {
  const want = await resultHash(config);
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(resultsDir)) {
      if (e.isDirectory && !e.name.startsWith(".")) names.push(e.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  for (const name of names.sort().reverse()) {
    try {
      const meta = JSON.parse(await Deno.readTextFile(join(resultsDir, name, RUN_FILES.config)));
      if (await resultHash(completeStoredConfig(meta.config)) === want) {
        return join(resultsDir, name);
      }
    } catch {
      // not a run folder (bench/, notebooks/) or an unreadable one: not a match
    }
  }
  return null;
}

/** The finished run for `config`: found under `resultsDir`, or trained now (features cached). */
export async function ensureRun(
  config: RunConfig,
  corpus: CorpusIndex,
  dirs: { cacheDir: string; resultsDir: string },
  sink: ProgressSink,
  hooks: ExperimentHooks = {},
): Promise<StoredRun & { reused: boolean }> {
  const found = await findRun(dirs.resultsDir, config);
  if (found) return { ...(await loadRun(found)), reused: true };
  const features = await featurizeCorpus(config, corpus, sink, dirs.cacheDir);
  const outcome = await runExperiment(config, features, corpus, sink, dirs.resultsDir, hooks);
  return { ...(await loadRun(outcome.runDir)), reused: false };
}
