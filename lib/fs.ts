/**
 * The Deno-only part of ser-deno's API: trained runs on disk, and classifying a file read by
 * position (a two-hour recording is never read whole). Needs `--allow-read`, and `--allow-ffi`
 * where OpenBLAS should speed up training.
 *
 * @module
 */
import { loadRunModel, resolveRun as resolveRunDir } from "./run/store.ts";
import { openFileSource } from "./audio/read_file.ts";
import { chooseGemm } from "./model/blas_ffi.ts";
import { useTrainingBackend } from "./model/backend.ts";
import {
  asTrainedRun,
  type Classification,
  type ClassifyOptions,
  classifySource,
  type TrainedRun,
} from "./live/classify.ts";

export type { Classification, ClassifyOptions, TrainedRun };

/**
 * Loads the run folder `dir` (written by `deno task reproduce`): every model and scaler, on the
 * project's own tfjs backend (OpenBLAS where it loads, else WebAssembly).
 */
export async function loadRun(dir: string): Promise<TrainedRun> {
  await useTrainingBackend(chooseGemm("auto", 1).gemm);
  return asTrainedRun(await loadRunModel(dir));
}

/**
 * The run folder `which` names under `resultsDir`: a path, a run id, or (empty or "latest") the
 * newest finished run there.
 */
export function resolveRun(resultsDir: string, which = ""): Promise<string> {
  return resolveRunDir(resultsDir, which);
}

/** Classifies the WAV file at `path` with `run`, reading it in blocks. */
export async function classifyFile(
  path: string,
  run: TrainedRun,
  options: ClassifyOptions = {},
): Promise<Classification> {
  const src = openFileSource(path);
  try {
    return await classifySource(src, run, { name: path, ...options });
  } finally {
    src.close();
  }
}
