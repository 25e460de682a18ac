/**
 * A survey of the corpus files as they are on disk (Deno-only): every clip's header facts
 * (rate, channels, bit depth, duration) next to its RAVDESS labels. The explore notebook
 * tabulates it; it is also how one finds the odd files (RAVDESS has a few stereo ones).
 */
import { join } from "node:path";
import type { ClipRecord } from "./ravdess.ts";
import type { CorpusIndex } from "./index_fs.ts";
import { type WavInfo, wavInfo } from "../audio/wav.ts";

export interface SurveyedClip extends ClipRecord, WavInfo {}

export async function surveyCorpus(corpus: CorpusIndex): Promise<SurveyedClip[]> {
  const out: SurveyedClip[] = [];
  for (const clip of corpus.clips) {
    const path = join(corpus.root, clip.relPath);
    out.push({ ...clip, ...wavInfo(await Deno.readFile(path), path) });
  }
  return out;
}

/** Counts of `key`'s values, in first-seen order unless `order` is given. */
export function countBy<T>(
  items: readonly T[],
  key: (item: T) => string,
  order?: readonly string[],
): Map<string, number> {
  const counts = new Map<string, number>((order ?? []).map((k) => [k, 0]));
  for (const it of items) counts.set(key(it), (counts.get(key(it)) ?? 0) + 1);
  return counts;
}
