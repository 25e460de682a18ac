/**
 * A survey of the corpus files as they are on disk (Deno-only): every clip's header facts
 * (rate, channels, bit depth, duration) next to its labels, for any corpus. The explore notebook
 * tabulates it; it is also how one finds the odd files (RAVDESS has a few stereo ones).
 */
import { join } from "node:path";
import type { ClipRecord } from "../schema/corpus.ts";
import { CORPORA } from "./corpora.ts";
import type { CorpusName } from "../schema/corpus.ts";
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

function range(values: number[], digits: number): string {
  // a loop, not a spread: a large corpus's values would overflow the stack as arguments
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo === hi ? lo.toFixed(digits) : `${lo.toFixed(digits)}-${hi.toFixed(digits)}`;
}

/** One row per actor and one for the whole corpus: clips, durations, formats, stereo files. */
export function corpusSummaryRows(
  clips: readonly SurveyedClip[],
): Record<string, string | number>[] {
  const row = (name: string, cs: readonly SurveyedClip[]) => ({
    actor: name,
    sex: [...new Set(cs.map((c) => c.sex))].join("/"),
    clips: cs.length,
    emotions: new Set(cs.map((c) => c.emotion)).size,
    "duration s (min-max)": range(cs.map((c) => c.durationS), 2),
    "mean s": +(cs.reduce((a, c) => a + c.durationS, 0) / cs.length).toFixed(2),
    "rate Hz": [...new Set(cs.map((c) => c.sampleRateHz))].join("/"),
    bits: [...new Set(cs.map((c) => c.bitDepth))].join("/"),
    stereo: cs.filter((c) => c.channels > 1).length,
  });
  const actors = [...new Set(clips.map((c) => c.actor))].sort((a, b) => a - b);
  return [
    ...actors.map((a) => row(String(a).padStart(2, "0"), clips.filter((c) => c.actor === a))),
    row("all", clips),
  ];
}

/**
 * One clip per emotion, for listening and looking: the first (by id) that matches `prefer`
 * (e.g. an actor and statement); failing that, the first that matches it but for intensity
 * (neutral has no strong clips); failing that, the first clip of that emotion.
 */
export function examplePerEmotion<C extends ClipRecord>(
  clips: readonly C[],
  emotions: readonly string[],
  prefer: Partial<Pick<ClipRecord, "actor" | "intensity" | "statement" | "repetition">> = {},
): C[] {
  const sorted = [...clips].sort((a, b) => a.id.localeCompare(b.id));
  const keys = Object.keys(prefer) as (keyof typeof prefer)[];
  const matches = (c: C, ks: typeof keys) => ks.every((k) => c[k] === prefer[k]);
  return emotions.map((e) => {
    const pick = sorted.find((c) => c.emotion === e && matches(c, keys)) ??
      sorted.find((c) => c.emotion === e && matches(c, keys.filter((k) => k !== "intensity"))) ??
      sorted.find((c) => c.emotion === e);
    if (!pick) throw new Error(`no clip of emotion ${e} in the corpus`);
    return pick;
  });
}

/** Bars of clips per emotion, split by what the corpus records: intensity, else sex, else none. */
export function emotionCountSeries(
  clips: readonly ClipRecord[],
  emotions: readonly string[],
): { name: string; values: number[] }[] {
  const field = clips.some((c) => c.intensity)
    ? "intensity"
    : clips.some((c) => c.sex)
    ? "sex"
    : "";
  const groups = field ? [...new Set(clips.map((c) => String(c[field])))].sort() : ["clips"];
  return groups.map((g) => {
    const counts = countBy(
      clips.filter((c) => !field || String(c[field]) === g),
      (c) => c.emotion,
      emotions,
    );
    return {
      name: field ? `${g} ${field === "sex" ? "speakers" : "intensity"}` : g,
      values: emotions.map((e) => counts.get(e) ?? 0),
    };
  });
}

/** Clips per speaker, named as the corpus names them, coloured by sex where it is known. */
export function speakerCounts(
  clips: readonly ClipRecord[],
  corpus: CorpusName,
): { labels: string[]; values: number[]; colors: string[] } {
  const names = CORPORA[corpus].speakerNames;
  const speakers = [...new Set(clips.map((c) => c.actor))].sort((a, b) => a - b);
  const sexOf = (a: number) => clips.find((c) => c.actor === a)?.sex;
  return {
    labels: speakers.map((a) => names[a] ?? String(a)),
    values: speakers.map((a) => clips.filter((c) => c.actor === a).length),
    colors: speakers.map((a) =>
      sexOf(a) === "male" ? "#1f77b4" : sexOf(a) === "female" ? "#d62728" : "#7f7f7f"
    ),
  };
}

/** The first speaker (by number) with a clip of every one of `emotions`, for side-by-side examples. */
export function exampleSpeaker(clips: readonly ClipRecord[], emotions: readonly string[]): number {
  const speakers = [...new Set(clips.map((c) => c.actor))].sort((a, b) => a - b);
  return speakers.find((a) =>
    emotions.every((e) => clips.some((c) => c.actor === a && c.emotion === e))
  ) ?? speakers[0];
}
