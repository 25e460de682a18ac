/**
 * Run folders on disk (Deno only): written under a temporary name and renamed, so a folder that
 * exists is complete; one scan of the results folder; one way to read a run back (its record
 * completed for older runs), to find one by what it computed, and to load its models.
 */
import { basename, isAbsolute, join } from "node:path";
import { resultHash, type RunConfig } from "../config/config.ts";
import { userCwd } from "../util/project.ts";
import {
  createTempDir,
  readJsonFile,
  removeStaleTempDirs,
  writeFileAtomic,
  writeJsonAtomic,
} from "../cache/files.ts";
import { parsePredictionsCsv, type PredictionRow } from "./predictions.ts";
import type { RunHistory, RunSummary } from "../eval/summary.ts";
import { loadModel } from "../model/io_fs.ts";
import type { Predictor } from "../model/predictor.ts";
import { parseScaler } from "../normalise/scaler.ts";
import { predictorFromRecord, type RunModel, runModelOf } from "./predictor.ts";
import { completeRunRecord, RUN_FILES, type RunListing, type RunRecord } from "./record.ts";

export interface RunWriter {
  runId: string;
  /** The temporary folder files go to until `commit`. */
  dir: string;
  finalDir: string;
  writeJson(name: string, value: unknown): Promise<void>;
  writeText(name: string, text: string): Promise<void>;
  /** Renames the folder into place (`<id>`, or `<id>-2`... when taken); returns where. */
  commit(): Promise<string>;
  /** Deletes the temporary folder (a run that failed). */
  discard(): Promise<void>;
}

/** The temporary name of a run folder being written. */
const PARTIAL_RUN = /^\..+\.partial$/;

export async function createRunWriter(resultsDir: string, runId: string): Promise<RunWriter> {
  const finalDir = join(resultsDir, runId);
  // Runs killed mid-training leave their partial folders; no live process holds them.
  await removeStaleTempDirs(resultsDir, PARTIAL_RUN);
  const temp = await createTempDir(join(resultsDir, `.${runId}.partial`));
  const dir = temp.path;
  return {
    runId,
    dir,
    finalDir,
    writeJson: (name, value) => writeJsonAtomic(join(dir, name), value),
    writeText: (name, text) => writeFileAtomic(join(dir, name), text),
    async commit() {
      // Two runs in the same second get -2, -3, ... rather than overwriting each other.
      for (let n = 1;; n++) {
        const target = n === 1 ? finalDir : `${finalDir}-${n}`;
        try {
          await Deno.lstat(target);
        } catch {
          await temp.commit(target);
          return target;
        }
      }
    },
    discard: () => temp.discard(),
  };
}

async function isRunDir(dir: string): Promise<boolean> {
  try {
    return (await Deno.stat(join(dir, RUN_FILES.config))).isFile &&
      (await Deno.stat(join(dir, RUN_FILES.models))).isDirectory;
  } catch {
    return false;
  }
}

/**
 * The finished run folders under `resultsDir`, newest first (run ids sort by time). Other
 * folders (bench/, notebooks/, ablation/) and partial runs are not runs.
 */
export async function scanRuns(resultsDir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(resultsDir)) {
      if (e.isDirectory && !e.name.startsWith(".") && await isRunDir(join(resultsDir, e.name))) {
        names.push(e.name);
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return names.sort().reverse().map((n) => join(resultsDir, n));
}

/** A run folder's record, completed for older runs; an error naming the file when damaged. */
export async function readRunRecord(dir: string): Promise<RunRecord> {
  const path = join(dir, RUN_FILES.config);
  return completeRunRecord(
    await readJsonFile(path, "is this a run folder written by deno task reproduce?"),
    path,
  );
}

/**
 * The run folder `which` names: a path, a run id under `resultsDir`, or (empty / "latest") the
 * newest complete run there.
 */
export async function resolveRun(resultsDir: string, which: string): Promise<string> {
  if (which && which !== "latest") {
    for (
      const dir of [isAbsolute(which) ? which : join(userCwd(), which), join(resultsDir, which)]
    ) {
      if (await isRunDir(dir)) return dir;
    }
    throw new Error(
      `--run ${which}: no run folder with ${RUN_FILES.config} and ${RUN_FILES.models}/ there or in ${resultsDir}`,
    );
  }
  const [newest] = await scanRuns(resultsDir);
  if (!newest) {
    throw new Error(
      `no trained run in ${resultsDir}: run \`deno task reproduce\` first, or pass --run=<folder>`,
    );
  }
  return join(resultsDir, basename(newest));
}

/** A finished run with everything the notebooks and the ablation read. */
export interface StoredRun {
  dir: string;
  runId: string;
  configHash: string;
  config: RunConfig;
  record: RunRecord;
  summary: RunSummary;
  history: RunHistory;
  predictions: PredictionRow[];
}

export async function loadRun(dir: string): Promise<StoredRun> {
  const record = await readRunRecord(dir);
  const predictionsPath = join(dir, RUN_FILES.predictions);
  let csv: string;
  try {
    csv = await Deno.readTextFile(predictionsPath);
  } catch (err) {
    throw new Error(`${predictionsPath}: cannot read it (${(err as Error).message})`);
  }
  return {
    dir,
    runId: record.runId,
    configHash: record.configHash,
    config: record.config,
    record,
    summary: await readJsonFile<RunSummary>(join(dir, RUN_FILES.metrics)),
    history: await readJsonFile<RunHistory>(join(dir, RUN_FILES.history)),
    predictions: parsePredictionsCsv(csv, predictionsPath),
  };
}

/**
 * The newest finished run under `resultsDir` that computed what `config` asks for (same
 * `resultHash`; settings added since the run count as their "off" value), or null. A run is
 * reused only then, so a notebook never shows a result trained with other settings as this one's.
 */
export async function findRun(resultsDir: string, config: RunConfig): Promise<string | null> {
  const want = await resultHash(config);
  for (const dir of await scanRuns(resultsDir)) {
    try {
      if (await resultHash((await readRunRecord(dir)).config) === want) return dir;
    } catch {
      // a damaged run folder is not a match
    }
  }
  return null;
}

/** One line per finished run, newest first, for the live page's run list. */
export async function listRuns(resultsDir: string): Promise<RunListing[]> {
  const runs: RunListing[] = [];
  for (const dir of await scanRuns(resultsDir)) {
    try {
      const record = await readRunRecord(dir);
      const metrics = await readJsonFile<RunSummary>(join(dir, RUN_FILES.metrics));
      runs.push({
        id: basename(dir),
        model: record.config.model,
        protocol: record.config.eval.protocol,
        speakerNorm: record.config.eval.speakerNorm,
        accuracy: metrics.primary?.accuracy?.mean ?? null,
        folds: record.folds.length,
        createdAt: record.createdAt,
      });
    } catch {
      // damaged: not offered
    }
  }
  return runs;
}

/** Every model of a run folder (the `folds[].models` its record lists), ready to predict. */
export async function loadPredictor(
  runDir: string,
): Promise<{ predictor: Predictor; config: RunConfig; record: RunRecord }> {
  const record = await readRunRecord(runDir);
  const predictor = await predictorFromRecord(
    record,
    async (name) => {
      const dir = join(runDir, RUN_FILES.models, name);
      const scalerPath = join(dir, RUN_FILES.scaler);
      const scaler = parseScaler(
        await readJsonFile(scalerPath, "restore the run folder"),
        scalerPath,
      );
      return { model: await loadModel(dir), scaler };
    },
    join(runDir, RUN_FILES.models),
    (name) =>
      readJsonFile(
        join(runDir, RUN_FILES.models, name, RUN_FILES.linear),
        "restore the run folder",
      ),
  );
  return { config: record.config, record, predictor };
}

/** A run folder's predictor with its config and feature extractor: ready to classify. */
export async function loadRunModel(runDir: string): Promise<RunModel> {
  const { predictor, config } = await loadPredictor(runDir);
  return runModelOf(predictor, config, runDir);
}

/** The commit the code ran from, and whether the tree had uncommitted changes. */
export async function gitState(
  cwd: string,
): Promise<{ commit: string | null; dirty: boolean | null }> {
  try {
    const run = async (args: string[]) => {
      const out = await new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "null" })
        .output();
      return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
    };
    const commit = await run(["rev-parse", "HEAD"]);
    const status = await run(["status", "--porcelain", "--untracked-files=no"]);
    return { commit, dirty: status === null ? null : status.length > 0 };
  } catch {
    return { commit: null, dirty: null }; // no git here
  }
}
