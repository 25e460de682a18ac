/**
 * Deno-only file helpers: atomic writes and `.npy` files on disk.
 *
 * Every write goes to a temporary file in the target's own folder and is then renamed over the
 * target, so a reader never sees a half-written file, even if the process dies mid-write.
 */
import { dirname, join } from "node:path";
import { decodeNpy, encodeNpy, type NpyArray, type NpyData } from "./npy.ts";

export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    if (typeof bytes === "string") await Deno.writeTextFile(tmp, bytes);
    else await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

export function writeNpyFile(path: string, data: NpyData, shape: readonly number[]): Promise<void> {
  return writeFileAtomic(path, encodeNpy(data, shape));
}

export async function readNpyFile(path: string): Promise<NpyArray> {
  return decodeNpy(await Deno.readFile(path), path);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * A JSON file's value, or an error naming the file and what is wrong with it (missing, unreadable,
 * or not JSON), followed by `hint` (what the user can do about it).
 */
export async function readJsonFile<T = unknown>(path: string, hint = ""): Promise<T> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "missing" : (err as Error).message;
    throw new Error(`${path}: cannot read it (${why})${hint ? `; ${hint}` : ""}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(
      `${path}: not valid JSON (${(err as Error).message})${hint ? `; ${hint}` : ""}`,
    );
  }
}

/**
 * A temporary folder this process fills and then renames into place. A lock file beside it
 * (`<path>.lock`) stays locked while the process lives, so another process can tell a folder in
 * use from one a killed process left behind (`removeStaleTempDirs`).
 */
export interface TempDir {
  path: string;
  /** Renames the folder to `target` and drops the lock. */
  commit(target: string): Promise<void>;
  /** Deletes the folder and drops the lock. */
  discard(): Promise<void>;
}

export async function createTempDir(path: string): Promise<TempDir> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const lockPath = `${path}.lock`;
  const lock = await Deno.open(lockPath, { create: true, write: true });
  await lock.lock(true);
  await Deno.mkdir(path, { recursive: true });
  const release = async () => {
    lock.close(); // closing drops the lock
    await Deno.remove(lockPath).catch(() => {});
  };
  return {
    path,
    async commit(target) {
      await Deno.rename(path, target);
      await release();
    },
    async discard() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
      await release();
    },
  };
}

/** A temporary folder name beside `target`, unique to this process and call. */
export function tempNameFor(target: string): string {
  return `${target}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Deletes the folders in `parent` whose names match `pattern` and that no live process holds
 * (their lock file is missing or can be locked): what a kill -9 mid-write leaves. Returns the
 * paths removed.
 */
export async function removeStaleTempDirs(parent: string, pattern: RegExp): Promise<string[]> {
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(parent));
  } catch {
    return removed; // no folder yet: nothing to clean
  }
  for (const e of entries) {
    if (!e.isDirectory || !pattern.test(e.name)) continue;
    const path = join(parent, e.name);
    const lockPath = `${path}.lock`;
    let lock: Deno.FsFile | null = null;
    try {
      lock = await Deno.open(lockPath, { write: true });
      if (!(await lock.tryLock(true))) continue; // a live process is writing it
    } catch {
      // no lock file: left by a process killed before it made one, or by an older version
    }
    await Deno.remove(path, { recursive: true }).catch(() => {});
    lock?.close();
    await Deno.remove(lockPath).catch(() => {});
    removed.push(path);
  }
  return removed;
}

/** Names of the temporary folders `createTempDir(tempNameFor(...))` makes. */
export const TEMP_DIR_NAME = /\.tmp-\d+-[0-9a-f]{8}$/;

/**
 * Refuses a folder that cannot be written (made if missing, a file written and removed), naming
 * the setting that chose it: found before the work, not after it.
 */
export async function assertWritableDir(dir: string, setting: string): Promise<void> {
  const probe = join(dir, `.write-check-${Deno.pid}`);
  try {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (err) {
    throw new Error(`${setting}=${dir}: cannot write there (${(err as Error).message})`);
  }
}
