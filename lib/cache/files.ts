/**
 * Deno-only file helpers: atomic writes and `.npy` files on disk.
 *
 * Every write goes to a temporary file in the target's own folder and is then renamed over the
 * target, so a reader never sees a half-written file, even if the process dies mid-write.
 */
import { dirname } from "node:path";
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
