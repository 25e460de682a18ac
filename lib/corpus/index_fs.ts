/**
 * Indexes a RAVDESS folder on disk into typed clip records (Deno-only).
 */
import { basename, join, relative, sep } from "node:path";
import { type ClipRecord, parseRavdessName } from "./ravdess.ts";
import { sha256Hex } from "../util/hash.ts";

export interface CorpusIndex {
  root: string;
  clips: ClipRecord[];
  /** SHA-256 of every clip's relative path and size: names the corpus in run records. */
  manifestHash: string;
  /**
   * SHA-256 of the folder and every clip's path, size and modification time: keys the feature
   * cache, so a clip rewritten in place (same size, new samples) is featurized again.
   */
  stateHash: string;
}

/**
 * Every `.wav` below `dir`, in name order. Symbolic links are followed (corpora often live on
 * another disk, linked in); a link back to a folder already being walked is skipped, so a loop
 * cannot recurse forever. A broken link is an error naming it.
 */
async function* walkWavs(dir: string, seen = new Set<string>()): AsyncGenerator<string> {
  const real = await Deno.realPath(dir);
  if (seen.has(real)) return;
  seen.add(real);
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) entries.push(e);
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
    if (isDirectory) yield* walkWavs(path, seen);
    else if (isFile && e.name.toLowerCase().endsWith(".wav")) yield path;
  }
}

/**
 * Finds every `.wav` under `root` (any depth; the Zenodo zip has `Actor_NN/` folders) and parses
 * its name. A `.wav` whose name is not RAVDESS, a clip inside another actor's folder, a duplicate
 * clip, or a folder with no clips is an error naming the path. Only audio-only speech clips are
 * kept (the song and video sets use the same naming).
 */
export async function indexCorpus(root: string): Promise<CorpusIndex> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(root);
  } catch {
    throw new Error(`${root}: corpus folder does not exist`);
  }
  if (!info.isDirectory) throw new Error(`${root}: corpus path is not a folder`);
  const clips: ClipRecord[] = [];
  const seen = new Map<string, string>();
  const modified = new Map<string, number>();
  for await (const path of walkWavs(root)) {
    const name = basename(path);
    let parsed;
    try {
      parsed = parseRavdessName(name);
    } catch (err) {
      throw new Error(`${path}: ${(err as Error).message.replace(`${name}: `, "")}`);
    }
    const folder = basename(join(path, ".."));
    const folderActor = /^Actor_(\d+)$/.exec(folder);
    if (folderActor && Number(folderActor[1]) !== parsed.actor) {
      throw new Error(`${path}: clip of actor ${parsed.actor} is in folder ${folder}`);
    }
    const id = name.slice(0, -4);
    if (seen.has(id)) throw new Error(`${path}: duplicate clip, also at ${seen.get(id)}`);
    seen.set(id, path);
    if (parsed.modality !== "audio-only" || parsed.vocalChannel !== "speech") continue;
    const { size, mtime } = await Deno.stat(path);
    modified.set(id, mtime?.getTime() ?? 0);
    clips.push({
      ...parsed,
      id,
      relPath: relative(root, path).split(sep).join("/"),
      sizeBytes: size,
    });
  }
  if (clips.length === 0) {
    throw new Error(
      `${root}: no RAVDESS speech clips (*.wav named like 03-01-05-02-01-01-01.wav) in this folder`,
    );
  }
  clips.sort((a, b) => a.actor - b.actor || a.id.localeCompare(b.id));
  const manifestHash = await sha256Hex(clips.map((c) => `${c.relPath}\t${c.sizeBytes}\n`).join(""));
  const stateHash = await sha256Hex(
    `${await Deno.realPath(root)}\n` +
      clips.map((c) => `${c.relPath}\t${c.sizeBytes}\t${modified.get(c.id)}\n`).join(""),
  );
  return { root, clips, manifestHash, stateHash };
}

/** A clip's file on disk. */
export function clipPath(
  corpus: Pick<CorpusIndex, "root">,
  clip: Pick<ClipRecord, "relPath">,
): string {
  return join(corpus.root, clip.relPath);
}
