/**
 * What each clip holds, by content (Deno only): SHA-256 of its bytes (Web Crypto: native, about
 * 100-200 MB/s with the file read), computed once per file and remembered by path, size,
 * modification and change times and inode, so a warm start reads no audio. The change time
 * (ctime) cannot be set back by `touch -r`, so an edit in place that keeps size and mtime is
 * still seen. Hashes key the feature cache and the manifest, and find one recording filed
 * under two names.
 */
import { join } from "node:path";
import { sha256Hex } from "../util/hash.ts";
import { readJsonFile, writeJsonAtomic } from "../cache/files.ts";

interface HashCacheFile {
  version: 1;
  root: string;
  /** When the hashes were taken (ms since 1970). */
  hashedAt: number;
  /** relPath -> [size, mtime ms, ctime ms, inode, sha256 hex] */
  entries: Record<string, [number, number, number, number, string]>;
}

/** Where a corpus folder's remembered hashes are kept under the cache folder. */
export async function hashCachePath(cacheDir: string, realRoot: string): Promise<string> {
  return join(cacheDir, "content-hashes", `${(await sha256Hex(realRoot)).slice(0, 16)}.json`);
}

/**
 * The SHA-256 of each of `relPaths` under `root`, in order; `cacheFile` (optional) remembers
 * them between runs, and is rewritten (atomically) only when something changed.
 */
export async function contentHashes(
  root: string,
  relPaths: readonly string[],
  cacheFile: string | null,
): Promise<string[]> {
  const realRoot = await Deno.realPath(root);
  let cache: HashCacheFile = { version: 1, root: realRoot, hashedAt: 0, entries: {} };
  if (cacheFile) {
    try {
      const stored = await readJsonFile<HashCacheFile>(cacheFile);
      if (stored.version === 1 && stored.root === realRoot && stored.entries) cache = stored;
    } catch {
      // missing or damaged: computed again below, and rewritten
    }
  }
  const fresh: HashCacheFile["entries"] = {};
  const hashedAt = Date.now();
  let changed = Object.keys(cache.entries).length !== relPaths.length;
  const out: string[] = [];
  for (const rel of relPaths) {
    const path = join(root, rel);
    const info = await Deno.stat(path);
    const key: [number, number, number, number] = [
      info.size,
      info.mtime?.getTime() ?? 0,
      info.ctime?.getTime() ?? 0,
      info.ino ?? 0,
    ];
    const known = cache.entries[rel];
    // Times are kept to the second on some systems: a file changed within two seconds of the
    // hashing might have changed after it, unseen (git's "racy" entries), so it is read again.
    const settled = key[2] < cache.hashedAt - 2000;
    let hash: string;
    if (known && settled && key.every((v, i) => known[i] === v)) hash = known[4];
    else {
      let bytes: Uint8Array;
      try {
        bytes = await Deno.readFile(path);
      } catch (err) {
        throw new Error(`${path}: cannot read (${(err as Error).message})`);
      }
      hash = await sha256Hex(bytes);
      changed = true;
    }
    fresh[rel] = [...key, hash];
    out.push(hash);
  }
  if (cacheFile && changed) {
    await writeJsonAtomic(cacheFile, { version: 1, root: realRoot, hashedAt, entries: fresh });
  }
  return out;
}

/** Clips with the same content: groups of two or more indices into `hashes`. */
export function sameContent(hashes: readonly string[]): number[][] {
  const byHash = new Map<string, number[]>();
  hashes.forEach((h, i) => byHash.set(h, [...(byHash.get(h) ?? []), i]));
  return [...byHash.values()].filter((g) => g.length > 1);
}
