/**
 * Feature rows on disk (Deno only): one `.npy` file per field (`ROW_FILES`), the layout of every
 * feature and augment cache folder.
 */
import { join } from "node:path";
import { encodeNpy } from "../cache/npy.ts";
import { readNpyFile } from "../cache/files.ts";
import { type FeatureRows, ROW_FILES, SEQUENCES } from "./rows.ts";

/** Feature rows into `dir` as one `.npy` file per field (`ROW_FILES`). */
export async function writeRowFiles(dir: string, rows: FeatureRows): Promise<void> {
  const { count: n, dims } = rows;
  await Deno.writeFile(join(dir, ROW_FILES.vectors), encodeNpy(rows.vectors, [n, dims.vector]));
  for (const name of SEQUENCES) {
    await Deno.writeFile(
      join(dir, ROW_FILES[name]),
      encodeNpy(rows[name], [n, dims.frames, dims[name]]),
    );
  }
  await Deno.writeFile(join(dir, ROW_FILES.validFrames), encodeNpy(rows.validFrames, [n]));
}

/** Feature rows written by `writeRowFiles`, with their shapes checked against each other. */
export async function readRowFiles(dir: string): Promise<FeatureRows> {
  const vectors = await readNpyFile(join(dir, ROW_FILES.vectors));
  const logmel = await readNpyFile(join(dir, ROW_FILES.logmel));
  const mfccDelta = await readNpyFile(join(dir, ROW_FILES.mfccDelta));
  const prosody = await readNpyFile(join(dir, ROW_FILES.prosody));
  const valid = await readNpyFile(join(dir, ROW_FILES.validFrames));
  const n = vectors.shape[0];
  const counts = [logmel, mfccDelta, prosody, valid].map((a) => a.shape[0]);
  if (counts.some((c) => c !== n)) {
    throw new Error(`${dir}: its .npy files hold different numbers of rows; delete the folder`);
  }
  return {
    count: n,
    dims: {
      vector: vectors.shape[1],
      frames: logmel.shape[1],
      logmel: logmel.shape[2],
      mfccDelta: mfccDelta.shape[2],
      prosody: prosody.shape[2],
    },
    vectors: vectors.data as Float32Array,
    logmel: logmel.data as Float32Array,
    mfccDelta: mfccDelta.data as Float32Array,
    prosody: prosody.data as Float32Array,
    validFrames: valid.data as Int32Array,
  };
}
