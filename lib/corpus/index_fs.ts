/**
 * Indexes a RAVDESS folder on disk into typed clip records (Deno-only).
 */
import { basename, join, relative, sep } from "node:path";
import { parseRavdessName } from "./ravdess.ts";
import type { ClipRecord } from "../schema/corpus.ts";
import { corpusSpec } from "./corpora.ts";
import type { CorpusName } from "../schema/corpus.ts";
import { sha256Hex } from "../util/hash.ts";
import { contentHashes, hashCachePath, sameContent } from "./content_hash.ts";

export interface CorpusIndex {
  root: string;
  corpus: CorpusName;
  clips: ClipRecord[];
  /**
   * SHA-256 of every clip's relative path and content hash: names the corpus, and what its
   * audio was, in run records.
   */
  manifestHash: string;
  /**
   * SHA-256 of the folder and every clip's path and content hash: keys the feature cache, so a
   * clip rewritten in place (even with its size and modification time kept) is featurized again.
   */
  stateHash: string;
  /** SHA-256 of each clip's bytes, in the order of `clips`. */
  contentHashes: string[];
  /** Clips of one speaker that hold the same audio under two names (a warning, not an error). */
  duplicates: { speaker: number; relPaths: string[] }[];
  /** A corpus of the user's own (a manifest, an audio folder): its emotions, in model order. */
  labels?: string[];
  /** A user corpus's speaker names, by the numbers its clips carry. */
  speakerNames?: Record<number, string>;
  /** A manifest's `split` column: each speaker's side, where the manifest gives one. */
  splitOf?: Record<number, "train" | "val" | "test">;
  /** Files of the corpus that are not used, and why (e.g. RAVDESS's song set). */
  ignored: { relPath: string; why: string }[];
}

/** More entries than any speech corpus has (CREMA-D, the largest here, has 7,442 clips). */
export const MAX_WALK_ENTRIES = 200_000;

/**
 * Every `.wav` below `dir`, in name order. Symbolic links are followed (corpora often live on
 * another disk, linked in); a link back to a folder already being walked is skipped, so a loop
 * cannot recurse forever. A broken link is an error naming it.
 */
async function* walkWavs(
  dir: string,
  seen = new Set<string>(),
  count = { entries: 0, root: dir },
): AsyncGenerator<string> {
  const real = await Deno.realPath(dir);
  if (seen.has(real)) return;
  seen.add(real);
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) {
    // A corpus is thousands of files; a walk past this is a wrong folder (`--data /`, a home).
    if (++count.entries > MAX_WALK_ENTRIES) {
      throw new Error(
        `${count.root}: more than ${
          MAX_WALK_ENTRIES.toLocaleString("en")
        } files and folders below it; is this the corpus folder? Point --data at the corpus itself`,
      );
    }
    entries.push(e);
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    const path = join(dir, e.name);
    let isDirectory = e.isDirectory;
    let isFile = e.isFile;
    if (e.isSymlink) {
      try {
        const target = await Deno.stat(path);
        isDirectory = target.isDirectory;
        isFile = target.isFile;
      } catch (err) {
        throw new Error(`${path}: broken symbolic link (${(err as Error).message})`);
      }
    }
    if (isDirectory) yield* walkWavs(path, seen, count);
    else if (isFile && e.name.toLowerCase().endsWith(".wav")) yield path;
  }
}

/**
 * Finds every `.wav` under `root` (any depth, links followed) and parses its path as `corpus`
 * names its files (RAVDESS by default: the Zenodo zip has `Actor_NN/` folders). A `.wav` whose
 * name does not fit, a clip in another speaker's folder, a duplicate clip, or a folder with no
 * clips is an error naming the path. Files the corpus has but this project does not use (RAVDESS's
 * song and video sets) are listed in `ignored` with the reason.
 */
export async function indexCorpus(
  root: string,
  corpus: CorpusName = "ravdess",
  /** Where content hashes are remembered between runs (`<cacheDir>`); none: hashed each time. */
  cacheDir: string | null = null,
): Promise<CorpusIndex> {
  const spec = corpusSpec(corpus);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(root);
  } catch {
    throw new Error(`${root}: corpus folder does not exist`);
  }
  if (!info.isDirectory) throw new Error(`${root}: corpus path is not a folder`);
  if (await Deno.realPath(root) === "/") {
    throw new Error(
      `${root}: the file system's root, not a corpus folder; point --data at the corpus`,
    );
  }
  const clips: ClipRecord[] = [];
  const ignored: { relPath: string; why: string }[] = [];
  const seen = new Map<string, string>();
  for await (const path of walkWavs(root)) {
    const relPath = relative(root, path).split(sep).join("/");
    let parsed;
    try {
      // `.WAV` (cameras, Windows tools) is the same file type as `.wav`.
      parsed = spec.parse(relPath.replace(/\.wav$/i, ".wav"));
    } catch (err) {
      throw new Error(`${join(root, relPath)}: ${(err as Error).message.replace(/^[^:]*: /, "")}`);
    }
    const name = basename(path);
    // SAVEE's nested layout names files a01.wav in every speaker's folder.
    const id = corpus === "savee" && !/^[A-Z]{2}_/.test(name)
      ? `${spec.speakerNames[parsed.speaker]}_${name.slice(0, -4)}`
      : name.slice(0, -4);
    if (seen.has(id)) throw new Error(`${path}: duplicate clip, also at ${seen.get(id)}`);
    seen.set(id, path);
    if (parsed.ignored) {
      ignored.push({ relPath, why: parsed.ignored });
      continue;
    }
    const { size } = await Deno.stat(path);
    // RAVDESS records keep the shape they always had (caches hold them byte for byte).
    const record: ClipRecord = corpus === "ravdess"
      ? { ...parseRavdessName(name), id, relPath, sizeBytes: size }
      : {
        ...parsed.extra,
        corpus,
        actor: parsed.speaker,
        emotion: parsed.emotion,
        ...(parsed.sex ? { sex: parsed.sex } : {}),
        id,
        relPath,
        sizeBytes: size,
      };
    clips.push(record);
  }
  if (clips.length === 0) {
    const what = corpus === "ravdess" ? "RAVDESS speech" : spec.title;
    throw new Error(`${root}: no ${what} clips in this folder (expected: ${spec.source})`);
  }
  return await finishIndex(root, corpus, clips, ignored, cacheDir);
}

/**
 * A corpus index from its clip records: sorted by speaker, each clip's content hash (remembered
 * under `cacheDir`), one recording under two speakers refused and under one speaker noted, and
 * the manifest and cache-key hashes. Every way of indexing a corpus ends here.
 */
export async function finishIndex(
  root: string,
  corpus: CorpusName,
  clips: ClipRecord[],
  ignored: CorpusIndex["ignored"],
  cacheDir: string | null,
  extra: Pick<CorpusIndex, "labels" | "speakerNames" | "splitOf"> = {},
): Promise<CorpusIndex> {
  clips.sort((a, b) => a.actor - b.actor || a.id.localeCompare(b.id));
  const realRoot = await Deno.realPath(root);
  const hashes = await contentHashes(
    root,
    clips.map((c) => c.relPath),
    cacheDir ? await hashCachePath(cacheDir, realRoot) : null,
  );
  // One recording under two names: across speakers it would sit on both sides of a speaker
  // split (refused); within one speaker it only counts twice (a warning).
  const duplicates: CorpusIndex["duplicates"] = [];
  for (const group of sameContent(hashes)) {
    const speakers = [...new Set(group.map((i) => clips[i].actor))];
    const paths = group.map((i) => join(root, clips[i].relPath));
    if (speakers.length > 1) {
      throw new Error(
        `${paths[0]} and ${paths[1]} hold the same audio (SHA-256 ${
          hashes[group[0]].slice(0, 12)
        }...) ` +
          `but are filed under different speakers (${
            speakers.join(", ")
          }): one recording would be ` +
          "on both sides of a speaker split. Remove one copy",
      );
    }
    duplicates.push({ speaker: speakers[0], relPaths: group.map((i) => clips[i].relPath) });
  }
  const manifestHash = await sha256Hex(
    clips.map((c, i) => `${c.relPath}\t${hashes[i]}\n`).join(""),
  );
  const stateHash = await sha256Hex(
    `${realRoot}\n` + clips.map((c, i) => `${c.relPath}\t${hashes[i]}\n`).join(""),
  );
  return {
    ...extra,
    root,
    corpus,
    clips,
    ignored,
    manifestHash,
    stateHash,
    contentHashes: hashes,
    duplicates,
  };
}

/** A clip's file on disk. */
export function clipPath(
  corpus: Pick<CorpusIndex, "root">,
  clip: Pick<ClipRecord, "relPath">,
): string {
  return join(corpus.root, clip.relPath);
}
