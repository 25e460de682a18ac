/**
 * The augment stage (Deno-only): derived recipe rows (noise, stretch+pitch, ...) for the
 * training actors of a split, cached next to the clip features.
 *
 * It takes the split, not a list of files: only clips of the split's training actors are ever
 * loaded here, so a test or validation actor's audio cannot reach training in any form. Rows are
 * cached per actor (`<features>/augment-<key>/actor-NN/`), since a clip's rows depend only on the
 * clip, the recipe and the seed; k folds share them. Each actor folder is written under a
 * temporary name and renamed into place.
 */
import { join } from "node:path";
import type { RunConfig } from "../config/config.ts";
import { canonicalJson } from "../config/config.ts";
import type { SpeakerSplit } from "../schema/split.ts";
import type { ClipRecord } from "../schema/corpus.ts";
import { derivedRows } from "../augment/recipe.ts";
import {
  createTempDir,
  exists,
  readJsonFile,
  removeStaleTempDirs,
  TEMP_DIR_NAME,
  tempNameFor,
  writeJsonAtomic,
} from "../cache/files.ts";
import { allocateRows, concatRows, type FeatureRows, setRow } from "../features/rows.ts";
import { sha256Hex } from "../util/hash.ts";
import { ProgressBar, type ProgressSink } from "../util/progress.ts";
import { readRowFiles, writeRowFiles } from "../features/rows_fs.ts";
import type { FeatureSet } from "./featurize.ts";
import { featureWorkerCount, runPool } from "../util/pool.ts";
import type { AugmentReply, AugmentRequest } from "./augment_worker.ts";

/** Bump when augmentation code changes its output, so old caches are not reused. */
export const AUGMENT_CODE_VERSION = 2;

export interface AugmentedRow {
  /** Index of the source clip in the feature set. */
  clipIndex: number;
  clipId: string;
  actor: number;
  /** Recipe row name, e.g. `noise` or `stretch+pitch`. */
  row: string;
}

export interface AugmentedSet {
  dir: string;
  /** What each derived row is: its clip, actor and recipe row. */
  rows: AugmentedRow[];
  /** Row i holds the features of `rows[i]`. */
  features: FeatureRows;
  /** Actors computed now (the rest came from the cache). */
  computedActors: number[];
  computeS: number;
}

export async function augmentCacheKey(config: RunConfig): Promise<string> {
  return (await sha256Hex(
    canonicalJson({ v: AUGMENT_CODE_VERSION, augment: config.augment, seed: config.seed }),
  ))
    .slice(0, 16);
}

/** Throws if any clip belongs to an actor the split holds out. */
export function assertTrainingOnly(clips: readonly ClipRecord[], split: SpeakerSplit): void {
  const heldOut = new Set([...split.testActors, ...split.valActors]);
  const leaked = clips.filter((c) => heldOut.has(c.actor) || !split.trainActors.includes(c.actor));
  if (leaked.length) {
    throw new Error(
      `leakage guard (${split.name}): ${leaked.length} clip(s) of held-out actors ${
        [
          ...new Set(leaked.map((c) => c.actor)),
        ].join(", ")
      } were about to be augmented for training`,
    );
  }
}

interface ActorRows {
  rows: AugmentedRow[];
  features: FeatureRows;
}

async function readActorRows(dir: string): Promise<ActorRows> {
  return {
    rows: await readJsonFile(
      join(dir, "rows.json"),
      `a damaged augmentation cache: delete ${dir} and it is computed again`,
    ),
    features: await readRowFiles(dir),
  };
}

async function writeActorRows(dir: string, a: ActorRows): Promise<void> {
  const temp = await createTempDir(tempNameFor(dir));
  const tmp = temp.path;
  try {
    await writeRowFiles(tmp, a.features);
    await Deno.writeTextFile(join(tmp, "rows.json"), JSON.stringify(a.rows) + "\n");
    await temp.commit(dir);
  } catch (err) {
    await temp.discard();
    if (!(await exists(join(dir, "rows.json")))) throw err;
  }
}

/** The augmentation cache folder for this config, next to the features it derives from. */
async function augmentDir(config: RunConfig, features: FeatureSet): Promise<string> {
  const dir = join(features.dir, `augment-${await augmentCacheKey(config)}`);
  await Deno.mkdir(dir, { recursive: true });
  await removeStaleTempDirs(dir, TEMP_DIR_NAME);
  await writeJsonAtomic(join(dir, "augment.json"), {
    augment: config.augment,
    seed: config.seed,
    featureKey: features.key,
  });
  return dir;
}

function actorDir(dir: string, actor: number): string {
  return join(dir, `actor-${String(actor).padStart(2, "0")}`);
}

/**
 * Computes (on every core, in one worker pool) the rows of those `actors` not cached yet. Only
 * called with the training actors of the splits being prepared.
 */
async function computeActors(
  config: RunConfig,
  features: FeatureSet,
  corpusRoot: string,
  dir: string,
  actors: readonly number[],
  label: string,
  sink: ProgressSink,
): Promise<{ computed: number[]; computeS: number }> {
  const recipeRows = derivedRows(config.augment.recipe);
  const missing: number[] = [];
  for (const a of actors) {
    if (!(await exists(join(actorDir(dir, a), "rows.json")))) missing.push(a);
  }
  if (missing.length === 0 || recipeRows.length === 0) return { computed: [], computeS: 0 };
  const jobs = features.clips.map((c, i) => ({ c, i })).filter(({ c }) =>
    missing.includes(c.actor)
  );
  const results = new Map<number, Extract<AugmentReply, { kind: "clip" }>["rows"]>();
  const workers = featureWorkerCount(config.workers, (line) => sink.write(line));
  const bar = new ProgressBar(`augment ${label} (${workers} workers)`, jobs.length, {
    sink,
    unit: "clips",
  });
  const t0 = performance.now();
  await runPool<{ c: ClipRecord; i: number }, AugmentReply>({
    workerUrl: new URL("./augment_worker.ts", import.meta.url),
    size: workers,
    init: {
      kind: "init",
      audio: config.audio,
      features: config.features,
      augment: config.augment,
      seed: config.seed,
    } satisfies AugmentRequest,
    jobs,
    message: ({ c, i }) =>
      ({
        kind: "clip",
        index: i,
        path: join(corpusRoot, c.relPath),
        clipId: c.id,
      }) satisfies AugmentRequest,
    onReply: (r) => {
      if (r.kind === "error") return r.message;
      results.set(r.index, r.rows);
      bar.tick();
    },
  });
  const computeS = (performance.now() - t0) / 1000;
  bar.finish(`${((computeS * 1000) / jobs.length).toFixed(1)} ms/clip wall`);
  for (const a of missing) {
    const clips = jobs.filter(({ c }) => c.actor === a);
    const out: ActorRows = {
      rows: [],
      features: allocateRows(clips.length * recipeRows.length, features.rows.dims),
    };
    for (const { c, i } of clips) {
      results.get(i)!.forEach((row, k) => {
        setRow(out.features, out.rows.length, row);
        out.rows.push({ clipIndex: i, clipId: c.id, actor: c.actor, row: recipeRows[k].name });
      });
    }
    await writeActorRows(actorDir(dir, a), out);
  }
  return { computed: missing, computeS };
}

/**
 * Derived rows for the training actors of each split. The training actors of all splits are
 * computed together (one worker pool; k folds share every actor), then each split's rows are
 * assembled from its own training actors only. `corpusRoot` is where the clips' audio lives.
 */
export async function augmentForSplits(
  config: RunConfig,
  features: FeatureSet,
  corpusRoot: string,
  splits: readonly SpeakerSplit[],
  sink: ProgressSink,
): Promise<AugmentedSet[]> {
  const dir = await augmentDir(config, features);
  for (const split of splits) {
    assertTrainingOnly(features.clips.filter((c) => split.trainActors.includes(c.actor)), split);
  }
  const actors = [...new Set(splits.flatMap((s) => s.trainActors))].sort((a, b) => a - b);
  const label = splits.length === 1 ? splits[0].name : `${splits.length} splits`;
  const { computed, computeS } = await computeActors(
    config,
    features,
    corpusRoot,
    dir,
    actors,
    label,
    sink,
  );
  const out: AugmentedSet[] = [];
  for (const split of splits) {
    out.push(await assembleSplit(config, features, dir, split, computed, computeS));
  }
  return out;
}

/** Derived rows for the training actors of one split. */
export async function augmentForSplit(
  config: RunConfig,
  features: FeatureSet,
  corpusRoot: string,
  split: SpeakerSplit,
  sink: ProgressSink,
): Promise<AugmentedSet> {
  return (await augmentForSplits(config, features, corpusRoot, [split], sink))[0];
}

async function assembleSplit(
  config: RunConfig,
  features: FeatureSet,
  dir: string,
  split: SpeakerSplit,
  computed: number[],
  computeS: number,
): Promise<AugmentedSet> {
  const recipeRows = derivedRows(config.augment.recipe);
  // Assemble the split's rows from the per-actor folders, in actor order.
  const parts = recipeRows.length
    ? await Promise.all(split.trainActors.map((a) => readActorRows(actorDir(dir, a))))
    : [];
  const set: AugmentedSet = {
    dir,
    rows: parts.flatMap((p) => p.rows),
    features: concatRows(parts.map((p) => p.features), features.rows.dims),
    computedActors: computed.filter((a) => split.trainActors.includes(a)),
    computeS,
  };
  assertTrainingOnly(set.rows.map((r) => features.clips[r.clipIndex]), split);
  return set;
}
