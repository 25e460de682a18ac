/**
 * The featurize stage (Deno-only): every clip of the corpus -> `.npy` files in a cache folder
 * keyed by the audio+feature config and the corpus manifest.
 *
 * Cache folder `<cacheDir>/features-<key>/`:
 * - `vectors.npy`        float32 [N, 162]   classic clip vectors (ZCR, chroma, MFCC, RMS, mel)
 * - `seq_logmel.npy`     float32 [N, T, sequenceMels]  log-mel frames
 * - `seq_mfcc_delta.npy` float32 [N, T, 3*nMfcc]       MFCC, delta, delta-delta frames
 * - `seq_prosody.npy`    float32 [N, T, 12]            pitch, voicing, loudness, tilt (prosody.ts)
 * - `seq_valid.npy`      int32   [N]        frames holding audio (the rest is end padding)
 * - `emotion.npy`, `actor.npy` int32 [N]    labels (index in COMMON_EMOTIONS: RAVDESS's 8, boredom)
 * - `clips.json`, `meta.json`                clip records, config, manifest hash, shapes
 * - `windows/` (only when some clip is longer than one window, `audio.windowHopS` > 0): the
 *   same row files for the later windows, and `window_clip.npy` int32 [W], each one's clip
 * The folder is built under a temporary name and renamed into place, so it is either complete
 * or absent.
 */
import { join } from "node:path";
import type { RunConfig } from "../config/config.ts";
import { canonicalJson } from "../config/config.ts";
import type { ClipRecord } from "../schema/corpus.ts";
import { COMMON_EMOTIONS } from "../schema/corpus.ts";
import type { CorpusIndex } from "../corpus/index_fs.ts";
import {
  CLIP_VECTOR_LAYOUT,
  clipVectorLength,
  sequenceFrameCount,
  sequenceWidths,
} from "../features/extract.ts";
import {
  allocateRows,
  type ClipWindows,
  type FeatureDims,
  type FeatureRows,
  type RowFeatures,
  setRow,
} from "../features/rows.ts";
import {
  createTempDir,
  exists,
  readJsonFile,
  readNpyFile,
  removeStaleTempDirs,
  TEMP_DIR_NAME,
  tempNameFor,
} from "../cache/files.ts";
import { encodeNpy } from "../cache/npy.ts";
import { sha256Hex } from "../util/hash.ts";
import { ProgressBar, type ProgressSink } from "../util/progress.ts";
import { readRowFiles, writeRowFiles } from "../features/rows_fs.ts";
import { featureWorkerCount, runPool } from "../util/pool.ts";
import type { WorkerReply, WorkerRequest } from "./feature_worker.ts";

/** Bump when feature code changes its numbers, so old caches are not reused. */
export const FEATURE_CODE_VERSION = 3;

export interface FeatureSet {
  dir: string;
  key: string;
  clips: ClipRecord[];
  /** Row i holds clip i's features. */
  rows: FeatureRows;
  /** Later windows of clips longer than one (only with `audio.windowHopS` > 0). */
  windows?: ClipWindows;
  fromCache: boolean;
  /** Wall-clock seconds spent computing (0 on a cache hit). */
  computeS: number;
}

/** The cache folder's key: the audio and feature settings and the corpus as it is on disk now. */
export async function featureCacheKey(config: RunConfig, corpusStateHash: string): Promise<string> {
  // Without later windows a cache holds what it held before `windowHopS` existed: same key.
  const { windowHopS, ...audio } = config.audio;
  const keyed = {
    v: FEATURE_CODE_VERSION,
    audio: windowHopS > 0 ? config.audio : audio,
    features: config.features,
    corpusStateHash,
  };
  return (await sha256Hex(canonicalJson(keyed))).slice(0, 16);
}

export async function featurizeCorpus(
  config: RunConfig,
  corpus: CorpusIndex,
  sink: ProgressSink,
  cacheRoot: string,
): Promise<FeatureSet> {
  const key = await featureCacheKey(config, corpus.stateHash);
  const dir = join(cacheRoot, `features-${key}`);
  for (const stale of await removeStaleTempDirs(cacheRoot, TEMP_DIR_NAME)) {
    sink.write(`features: removed ${stale}, left by an interrupted run\n`);
  }
  if (await exists(join(dir, "meta.json"))) {
    sink.write(`features: cache hit ${dir}\n`);
    return await loadFeatureSet(dir);
  }
  const clips = corpus.clips;
  const N = clips.length;
  const f = config.features;
  const rows = allocateRows(N, featureDims(config));
  const native: { sampleRateHz: number; channels: number; durationS: number }[] = new Array(N);
  const later: RowFeatures[][] = Array.from({ length: N }, () => []);
  const workers = featureWorkerCount(config.workers, (line) => sink.write(line));
  const bar = new ProgressBar(`featurize (${workers} workers)`, N, { sink, unit: "clips" });
  const t0 = performance.now();
  await runPool<ClipRecord, WorkerReply>({
    workerUrl: new URL("./feature_worker.ts", import.meta.url),
    size: workers,
    init: { kind: "init", audio: config.audio, features: config.features } satisfies WorkerRequest,
    jobs: clips,
    message: (c, index) =>
      ({ kind: "clip", index, path: join(corpus.root, c.relPath) }) satisfies WorkerRequest,
    onReply: (r) => {
      if (r.kind === "error") return r.message;
      setRow(rows, r.index, r.features);
      later[r.index] = r.windows;
      native[r.index] = {
        sampleRateHz: r.nativeSampleRateHz,
        channels: r.nativeChannels,
        durationS: r.nativeDurationS,
      };
      bar.tick();
    },
  });
  const computeS = (performance.now() - t0) / 1000;
  bar.finish(
    `${((computeS * 1000) / N).toFixed(1)} ms/clip wall, ${(N / computeS).toFixed(0)} clips/s`,
  );

  const windows = collectWindows(later, rows.dims);
  const records = clips.map((c, i) => ({ ...c, native: native[i] }));
  const meta = {
    createdAt: new Date().toISOString(),
    key,
    featureCodeVersion: FEATURE_CODE_VERSION,
    corpusRoot: corpus.root,
    corpusManifestHash: corpus.manifestHash,
    audio: config.audio,
    features: config.features,
    count: N,
    dims: rows.dims,
    laterWindows: windows?.clip.length ?? 0,
    vectorLayout: CLIP_VECTOR_LAYOUT(f).map((b) => `${b.name}:${b.size}`),
    emotions: COMMON_EMOTIONS,
    computeS,
  };
  const temp = await createTempDir(tempNameFor(dir));
  const tmp = temp.path;
  try {
    const write = (name: string, bytes: Uint8Array) => Deno.writeFile(join(tmp, name), bytes);
    await writeRowFiles(tmp, rows);
    if (windows) {
      await Deno.mkdir(join(tmp, "windows"));
      await writeRowFiles(join(tmp, "windows"), windows.rows);
      await write("windows/window_clip.npy", encodeNpy(windows.clip, [windows.clip.length]));
    }
    await write(
      "emotion.npy",
      encodeNpy(
        Int32Array.from(clips, (c) => (COMMON_EMOTIONS as readonly string[]).indexOf(c.emotion)),
        [N],
      ),
    );
    await write("actor.npy", encodeNpy(Int32Array.from(clips, (c) => c.actor), [N]));
    await Deno.writeTextFile(join(tmp, "clips.json"), JSON.stringify(records) + "\n");
    await Deno.writeTextFile(join(tmp, "meta.json"), JSON.stringify(meta, null, 2) + "\n");
    await temp.commit(dir);
  } catch (err) {
    await temp.discard();
    // Another process may have finished the same cache first; theirs is as good as ours.
    if (!(await exists(join(dir, "meta.json")))) throw err;
  }
  sink.write(`features: wrote ${dir}\n`);
  return { dir, key, clips, rows, windows, fromCache: false, computeS };
}

function collectWindows(later: RowFeatures[][], dims: FeatureDims): ClipWindows | undefined {
  const total = later.reduce((n, w) => n + w.length, 0);
  if (total === 0) return undefined;
  const out: ClipWindows = { clip: new Int32Array(total), rows: allocateRows(total, dims) };
  let at = 0;
  later.forEach((ws, clip) =>
    ws.forEach((w) => {
      setRow(out.rows, at, w);
      out.clip[at++] = clip;
    })
  );
  return out;
}

/** The shape of a config's feature rows. */
export function featureDims(config: RunConfig): FeatureDims {
  const f = config.features;
  return {
    vector: clipVectorLength(f),
    frames: sequenceFrameCount(f, config.audio.sampleRateHz, config.audio.durationS),
    ...sequenceWidths(f),
  };
}

/** Reads a complete feature cache folder back. */
export async function loadFeatureSet(dir: string): Promise<FeatureSet> {
  const hint = `a damaged feature cache: delete ${dir} and it is computed again`;
  const meta = await readJsonFile<{ key: string }>(join(dir, "meta.json"), hint);
  const clips = await readJsonFile<ClipRecord[]>(join(dir, "clips.json"), hint);
  const rows = await readRowFiles(dir);
  if (rows.count !== clips.length) {
    throw new Error(`${dir}: ${rows.count} feature rows for ${clips.length} clips; ${hint}`);
  }
  let windows: ClipWindows | undefined;
  if (await exists(join(dir, "windows", "window_clip.npy"))) {
    const clip = (await readNpyFile(join(dir, "windows", "window_clip.npy"))).data as Int32Array;
    windows = { clip, rows: await readRowFiles(join(dir, "windows")) };
    if (windows.rows.count !== clip.length || clip.some((c) => !(c >= 0 && c < clips.length))) {
      throw new Error(`${dir}/windows: its rows do not match window_clip.npy; ${hint}`);
    }
  }
  return { dir, key: meta.key, clips, rows, windows, fromCache: true, computeS: 0 };
}
