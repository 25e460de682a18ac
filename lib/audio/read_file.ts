/** Deno-only: an audio file from disk through `loadAudio`, errors naming the file. */
import { loadAudio, type LoadedClip, type LoadOptions } from "./load.ts";
import type { ByteSource } from "./wav.ts";

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

/**
 * A file on disk as a `ByteSource`, read piece by piece where it is asked for, so a long
 * recording is never read whole; `close` when done. Errors name the file.
 */
export function openFileSource(path: string): ByteSource & { close(): void } {
  let file: Deno.FsFile;
  let length: number;
  try {
    file = Deno.openSync(path, { read: true });
    const info = file.statSync();
    if (!info.isFile) {
      file.close();
      throw new Error("not a file");
    }
    length = info.size;
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as Error).message})`);
  }
  return {
    length,
    read(at, count) {
      const out = new Uint8Array(Math.max(0, Math.min(count, length - at)));
      file.seekSync(at, Deno.SeekMode.Start);
      let got = 0;
      while (got < out.length) {
        const n = file.readSync(out.subarray(got));
        if (n === null) break;
        got += n;
      }
      return out.subarray(0, got);
    },
    close: () => file.close(),
  };
}
