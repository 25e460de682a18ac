/**
 * librosa's reference outputs on disk (Deno-only): `../shared/reference/librosa/` holds
 * `<fixture>.<feature>.npy` files and an `index.json` naming the fixtures.
 */
import { join } from "node:path";
import { readNpyFile } from "../cache/files.ts";
import {
  compareWithReference,
  type ParityErrors,
  parityFailures,
  type ReferenceFeatures,
} from "./parity.ts";
import type { FeatureExtractor } from "./extract.ts";
import { projectPath } from "../util/project.ts";

export const DEFAULT_REFERENCE_DIR = projectPath("..", "shared", "reference", "librosa");

export interface ReferenceIndex {
  librosa?: string;
  sr: number;
  fixtures: Record<string, Record<string, unknown> & { source?: string; native_sr?: number }>;
}

export async function readReferenceIndex(dir: string): Promise<ReferenceIndex> {
  const path = join(dir, "index.json");
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    throw new Error(`${path}: cannot read the reference index (${(err as Error).message})`);
  }
}

export async function readReferenceArray(dir: string, name: string): Promise<Float32Array> {
  const path = join(dir, `${name}.npy`);
  const arr = await readNpyFile(path);
  if (!(arr.data instanceof Float32Array)) throw new Error(`${path}: expected float32 data`);
  return arr.data;
}

export async function readReferenceFeatures(
  dir: string,
  fixture: string,
): Promise<ReferenceFeatures> {
  const get = (k: string) => readReferenceArray(dir, `${fixture}.${k}`);
  return {
    y: await get("y"),
    zcr: await get("zcr"),
    rms: await get("rms"),
    mel: await get("mel"),
    mfcc: await get("mfcc"),
    chroma: await get("chroma"),
    vector162: await get("vector162"),
  };
}

/** Every fixture with features in the reference folder, compared with ours. */
export async function librosaParityRows(
  dir: string,
  extractor: FeatureExtractor,
): Promise<(ParityErrors & { fixture: string; verdict: string })[]> {
  const index = await readReferenceIndex(dir);
  const rows = [];
  for (const [name, spec] of Object.entries(index.fixtures)) {
    if (!("vector162" in spec)) continue;
    const errors = compareWithReference(extractor, await readReferenceFeatures(dir, name));
    const failures = parityFailures(errors);
    rows.push({ fixture: name, ...errors, verdict: failures.length ? failures.join("; ") : "ok" });
  }
  return rows;
}
