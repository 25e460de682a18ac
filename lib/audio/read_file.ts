/** Deno-only: an audio file from disk through `loadAudio`, errors naming the file. */
import { loadAudio, type LoadedClip, type LoadOptions } from "./load.ts";

/** A file's bytes; a failure is an error that names the file. */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as Error).message})`);
  }
}

export async function readAudioFile(path: string, opts: LoadOptions): Promise<LoadedClip> {
  return loadAudio(await readFileBytes(path), opts, path);
}
