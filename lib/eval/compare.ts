/**
 * Two runs' predictions of the same test clips, compared clip by clip: is a lever's difference
 * larger than chance would make it? A one-point change on 1200 clips can come from a different
 * initialisation alone, so every difference comes with McNemar's exact test (only the clips the
 * two runs disagree on carry evidence) and a 95 % interval from resampling the test speakers
 * (errors come in voices, not in independent clips). Pure.
 */
import type { PredictionRow } from "./predictions.ts";
import { createRng } from "../util/random.ts";

export interface SpeakerPair {
  actor: number;
  clips: number;
  /** Accuracy of run A and of run B on this speaker's clips. */
  a: number;
  b: number;
}

export interface PairedComparison {
  clips: number;
  accuracyA: number;
  accuracyB: number;
  /** B's accuracy minus A's. */
  difference: number;
  /** Clips only A got right, and only B. */
  onlyA: number;
  onlyB: number;
  /** McNemar's exact two-sided p-value on the disagreeing clips. */
  mcnemarP: number;
  /** 2.5th and 97.5th percentiles of the difference over speakers resampled with replacement. */
  speakerInterval: [number, number];
  perSpeaker: SpeakerPair[];
}

const keyOf = (r: PredictionRow) => `${r.corpus ?? ""}/${r.clip}`;

/** Exact two-sided binomial test of `k` successes in `n` fair trials (McNemar's, exact). */
export function mcnemarExactP(onlyA: number, onlyB: number): number {
  const n = onlyA + onlyB;
  if (n === 0) return 1;
  const k = Math.min(onlyA, onlyB);
  // log C(n, i) built up term by term, so 1200 disagreements do not overflow.
  let logC = 0;
  let tail = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    tail += Math.exp(logC - n * Math.LN2);
  }
  return Math.min(1, 2 * tail);
}

/**
 * Compares run B with run A on the clips both scored (they must have scored the same clips: a
 * clip missing on either side is an error naming it). `resamples` speaker resamplings, seeded.
 */
export function comparePredictions(
  a: readonly PredictionRow[],
  b: readonly PredictionRow[],
  resamples = 10000,
  seed = 1,
): PairedComparison {
  const bByClip = new Map(b.map((r) => [keyOf(r), r]));
  if (bByClip.size !== b.length) throw new Error("run B lists a clip twice");
  if (a.length !== b.length) {
    throw new Error(`the runs scored different clips (${a.length} against ${b.length})`);
  }
  let onlyA = 0, onlyB = 0, rightA = 0, rightB = 0;
  const speakers = new Map<number, { clips: number; a: number; b: number }>();
  for (const ra of a) {
    const rb = bByClip.get(keyOf(ra));
    if (!rb) throw new Error(`clip ${ra.clip} is in run A's predictions only`);
    if (rb.truth !== ra.truth) throw new Error(`clip ${ra.clip}: the runs disagree on its label`);
    const okA = ra.predicted === ra.truth ? 1 : 0;
    const okB = rb.predicted === rb.truth ? 1 : 0;
    rightA += okA;
    rightB += okB;
    if (okA && !okB) onlyA++;
    if (okB && !okA) onlyB++;
    const s = speakers.get(ra.actor) ?? { clips: 0, a: 0, b: 0 };
    s.clips++;
    s.a += okA;
    s.b += okB;
    speakers.set(ra.actor, s);
  }
  const n = a.length;
  const groups = [...speakers.entries()].sort(([x], [y]) => x - y);
  const rng = createRng(seed);
  const diffs = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let clips = 0, gain = 0;
    for (let i = 0; i < groups.length; i++) {
      const s = groups[rng.int(0, groups.length)][1];
      clips += s.clips;
      gain += s.b - s.a;
    }
    diffs[r] = clips ? gain / clips : 0;
  }
  diffs.sort();
  const at = (q: number) => diffs[Math.min(resamples - 1, Math.floor(q * resamples))];
  return {
    clips: n,
    accuracyA: n ? rightA / n : 0,
    accuracyB: n ? rightB / n : 0,
    difference: n ? (rightB - rightA) / n : 0,
    onlyA,
    onlyB,
    mcnemarP: mcnemarExactP(onlyA, onlyB),
    speakerInterval: resamples ? [at(0.025), at(0.975)] : [0, 0],
    perSpeaker: groups.map(([actor, s]) => ({
      actor,
      clips: s.clips,
      a: s.a / s.clips,
      b: s.b / s.clips,
    })),
  };
}

/** The comparison in one line, e.g. for docs/results.md. */
export function formatComparison(c: PairedComparison): string {
  const pts = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)}`;
  const better = c.perSpeaker.filter((s) => s.b > s.a).length;
  const worse = c.perSpeaker.filter((s) => s.b < s.a).length;
  return `B - A: ${pts(c.difference)} points (${(100 * c.accuracyA).toFixed(1)} % -> ${
    (100 * c.accuracyB).toFixed(1)
  } %, ${c.clips} clips); only A right ${c.onlyA}, only B right ${c.onlyB}, McNemar p = ${
    c.mcnemarP.toFixed(3)
  }; speakers resampled, 95 %: ${pts(c.speakerInterval[0])} to ${
    pts(c.speakerInterval[1])
  }; speakers better / worse / same: ${better} / ${worse} / ${
    c.perSpeaker.length - better - worse
  }`;
}
