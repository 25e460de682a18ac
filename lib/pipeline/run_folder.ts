/**
 * Run folders, `results/<run-id>/` (Deno only): written under a temporary name and renamed, so a
 * folder that exists is complete; found again by id, path, or "latest".
 */
import { basename, isAbsolute, join } from "node:path";
import {
  createTempDir,
  removeStaleTempDirs,
  writeFileAtomic,
  writeJsonAtomic,
} from "../cache/files.ts";

export const RUN_FILES = {
  config: "config.json",
  metrics: "metrics.json",
  history: "history.json",
  confusion: "confusion.csv",
  perClass: "per_class.csv",
  predictions: "predictions.csv",
  report: "report.html",
  models: "models",
  scaler: "scaler.json",
} as const;

/** `2026-11-24T10-31-05Z-temporal-speaker`: sorts by time, says what ran. */
export function makeRunId(model: string, protocol: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, "Z").replace(/:/g, "-");
  return `${stamp}-${model}-${protocol}`;
}

export interface RunWriter {
  runId: string;
  /** The temporary folder files go to until `commit`. */
  dir: string;
  finalDir: string;
  writeJson(name: string, value: unknown): Promise<void>;
  writeText(name: string, text: string): Promise<void>;
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
 * The run folder `which` names: a path, a run id under `resultsDir`, or (empty / "latest") the
 * newest complete run there.
 */
export async function resolveRun(resultsDir: string, which: string): Promise<string> {
  if (which && which !== "latest") {
    for (
      const dir of [isAbsolute(which) ? which : join(Deno.cwd(), which), join(resultsDir, which)]
    ) {
      if (await isRunDir(dir)) return dir;
    }
    throw new Error(
      `--run ${which}: no run folder with ${RUN_FILES.config} and ${RUN_FILES.models}/ there or in ${resultsDir}`,
    );
  }
  const runs: string[] = [];
  try {
    for await (const e of Deno.readDir(resultsDir)) {
      if (e.isDirectory && !e.name.startsWith(".") && await isRunDir(join(resultsDir, e.name))) {
        runs.push(e.name);
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (!runs.length) {
    throw new Error(
      `no trained run in ${resultsDir}: run \`deno task reproduce\` first, or pass --run=<folder>`,
    );
  }
  runs.sort();
  return join(resultsDir, basename(runs[runs.length - 1]));
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
    return { commit: null, dirty: null };
  }
}
