/** Deno-only: an audio file from disk through `loadAudio`, errors naming the file. */
import { loadAudio, type LoadedClip, type LoadOptions } from "./load.ts";

export async function readAudioFile(path: string, opts: LoadOptions): Promise<LoadedClip> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as Error).message})`);
  }
  return loadAudio(bytes, opts, path);
}
