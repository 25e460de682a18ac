/**
 * What separates two emotions a model confuses, measured on the clips themselves: clip-level
 * prosody statistics (pitch level and range, loudness level and range, voicing, tilt, ...) from
 * the prosody frames, z-scored within each speaker (so a statistic says how this clip differs
 * from its speaker's other clips), and for a pair of emotions each statistic's effect size
 * (Cohen's d: difference of the two means over the pooled spread). A large |d| is a cue the
 * pair differs in; a pair whose best |d| is small needs something the prosody does not hold.
 * Pure: no Deno APIs.
 */
import { PROSODY_DIM } from "../features/prosody.ts";

/** The clip-level statistics, in the order `clipProsodyStats` returns them. */
export const CLIP_STATS = [
  "pitch level (mean f0, voiced)",
  "pitch range (f0 p90 - p10)",
  "pitch movement (mean |delta f0|)",
  "loudness level (mean, voiced)",
  "loudness range (p90 - p10)",
  "loudness movement (mean |delta|)",
  "voiced share of frames",
  "periodicity (mean, voiced)",
  "harmonics-to-noise (mean, voiced)",
  "zero-crossing rate (mean)",
  "spectral flux (mean)",
  "spectral slope (mean, voiced)",
  "alpha ratio (mean, voiced)",
  "Hammarberg index (mean, voiced)",
] as const;

// Prosody columns (PROSODY_COLUMNS' order).
const F0 = 0, PERIODIC = 1, VOICED = 2, HNR = 3, LOUD = 4, ZCR = 5, FLUX = 6;
const SLOPE = 7, ALPHA = 8, HAMMARBERG = 9, DF0 = 10, DLOUD = 11;

function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

const mean = (xs: readonly number[]) => xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;

/**
 * One clip's statistics (`CLIP_STATS`) from its prosody frames (`frames` x `PROSODY_DIM`, the
 * first `validFrames` holding audio). NaN where a clip has no voiced frame.
 */
export function clipProsodyStats(prosody: Float32Array, validFrames: number): Float64Array {
  const col = (c: number, voicedOnly: boolean) => {
    const out: number[] = [];
    for (let t = 0; t < validFrames; t++) {
      const row = t * PROSODY_DIM;
      if (voicedOnly && prosody[row + VOICED] < 0.5) continue;
      out.push(prosody[row + c]);
    }
    return out;
  };
  const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
  const f0 = sorted(col(F0, true));
  const loud = sorted(col(LOUD, false));
  return Float64Array.from([
    mean(f0),
    quantile(f0, 0.9) - quantile(f0, 0.1),
    mean(col(DF0, true).map(Math.abs)),
    mean(col(LOUD, true)),
    quantile(loud, 0.9) - quantile(loud, 0.1),
    mean(col(DLOUD, false).map(Math.abs)),
    validFrames ? col(VOICED, false).filter((v) => v >= 0.5).length / validFrames : NaN,
    mean(col(PERIODIC, true)),
    mean(col(HNR, true)),
    mean(col(ZCR, false)),
    mean(col(FLUX, false)),
    mean(col(SLOPE, true)),
    mean(col(ALPHA, true)),
    mean(col(HAMMARBERG, true)),
  ]);
}

/**
 * Each statistic z-scored within each speaker (`speakers[i]` is clip i's), NaNs left out of the
 * speaker's mean and spread and kept as NaN.
 */
export function zScoreWithinSpeaker(
  stats: readonly Float64Array[],
  speakers: readonly number[],
): Float64Array[] {
  const out = stats.map((s) => Float64Array.from(s));
  const bySpeaker = new Map<number, number[]>();
  speakers.forEach((s, i) => bySpeaker.set(s, [...(bySpeaker.get(s) ?? []), i]));
  const width = stats[0]?.length ?? 0;
  for (const clips of bySpeaker.values()) {
    for (let k = 0; k < width; k++) {
      const xs = clips.map((i) => stats[i][k]).filter(Number.isFinite);
      const m = mean(xs);
      const sd = Math.sqrt(mean(xs.map((x) => (x - m) ** 2))) || 1;
      for (const i of clips) out[i][k] = (stats[i][k] - m) / sd;
    }
  }
  return out;
}

/** Cohen's d of `a` against `b` (pooled standard deviation), NaNs left out. */
export function cohensD(a: readonly number[], b: readonly number[]): number {
  const x = a.filter(Number.isFinite), y = b.filter(Number.isFinite);
  if (x.length < 2 || y.length < 2) return NaN;
  const mx = mean(x), my = mean(y);
  const vx = x.reduce((s, v) => s + (v - mx) ** 2, 0) / (x.length - 1);
  const vy = y.reduce((s, v) => s + (v - my) ** 2, 0) / (y.length - 1);
  const pooled = Math.sqrt(((x.length - 1) * vx + (y.length - 1) * vy) / (x.length + y.length - 2));
  return pooled > 0 ? (mx - my) / pooled : NaN;
}

export interface PairSeparation {
  a: string;
  b: string;
  /** One entry per statistic, largest |d| first: d > 0 means `a` is higher. */
  cues: { stat: string; d: number }[];
}

/** For each pair of emotions, every statistic's effect size, largest first. */
export function separatePairs(
  stats: readonly Float64Array[],
  emotions: readonly string[],
  pairs: readonly (readonly [string, string])[],
  names: readonly string[] = CLIP_STATS,
): PairSeparation[] {
  return pairs.map(([a, b]) => {
    const of = (e: string, k: number) => stats.flatMap((s, i) => (emotions[i] === e ? [s[k]] : []));
    const cues = names.map((stat, k) => ({ stat, d: cohensD(of(a, k), of(b, k)) }))
      .sort((p, q) => (Math.abs(q.d) || 0) - (Math.abs(p.d) || 0));
    return { a, b, cues };
  });
}
