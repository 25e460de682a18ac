/**
 * The hard-pairs look: clip statistics from prosody frames, z-scored within each speaker, and
 * the effect size that says which statistic separates two emotions.
 */
import { assert, assertAlmostEquals, assertEquals } from "./assert.ts";
import { PROSODY_DIM } from "../lib/features/prosody.ts";
import {
  CLIP_STATS,
  clipProsodyStats,
  cohensD,
  separatePairs,
  zScoreWithinSpeaker,
} from "../lib/eval/separability.ts";

/** Prosody frames of a clip: pitch `f0` semitones and loudness `loudDb`, voiced throughout. */
function frames(count: number, f0: (t: number) => number, loudDb: number): Float32Array {
  const out = new Float32Array(count * PROSODY_DIM);
  for (let t = 0; t < count; t++) {
    out[t * PROSODY_DIM + 0] = f0(t);
    out[t * PROSODY_DIM + 2] = 1; // voiced
    out[t * PROSODY_DIM + 4] = loudDb;
  }
  return out;
}

Deno.test("a clip's statistics: pitch level and range over voiced frames, loudness, voicing", () => {
  const clip = frames(100, (t) => 20 + (t % 10), -30);
  // The last 20 of 100 frames unvoiced: they count for the voiced share only.
  for (let t = 80; t < 100; t++) clip[t * PROSODY_DIM + 2] = 0;
  const s = clipProsodyStats(clip, 100);
  assertEquals(s.length, CLIP_STATS.length);
  assertAlmostEquals(s[0], 24.5, 1e-9, "mean f0 of the voiced frames");
  // 80 voiced frames, 0..9 eight times each: p90 falls at 8.1, p10 at 0.9 (linear, as numpy).
  assertAlmostEquals(s[1], 8.1 - 0.9, 1e-6, "pitch range p90 - p10");
  assertAlmostEquals(s[3], -30, 1e-6);
  assertAlmostEquals(s[6], 0.8, 1e-9, "voiced share");
  // Frames past validFrames are padding and do not count.
  assertAlmostEquals(clipProsodyStats(clip, 50)[6], 1, 1e-9);
});

Deno.test("within-speaker z-scores remove the voice; Cohen's d finds the cue that separates a pair", () => {
  // Two speakers an octave apart; in each, "happy" is 2 semitones above "calm" with the same
  // loudness: across speakers pitch says who speaks, within them it says the emotion.
  const stats: Float64Array[] = [];
  const speakers: number[] = [];
  const emotions: string[] = [];
  for (const [speaker, base] of [[1, 10], [2, 22]] as const) {
    for (let k = 0; k < 6; k++) {
      for (const [emotion, up] of [["happy", 2], ["calm", 0]] as const) {
        const wobble = (k % 3) * 0.3;
        stats.push(clipProsodyStats(frames(50, () => base + up + wobble, -30 + (k % 2)), 50));
        speakers.push(speaker);
        emotions.push(emotion);
      }
    }
  }
  const raw = separatePairs(stats, emotions, [["happy", "calm"]])[0];
  const z = separatePairs(zScoreWithinSpeaker(stats, speakers), emotions, [["happy", "calm"]])[0];
  const pitchD = (p: typeof raw) => p.cues.find((c) => c.stat.startsWith("pitch level"))!.d;
  assert(pitchD(raw) < 0.5, `pooled over voices the octave hides it: ${pitchD(raw)}`);
  assertEquals(z.cues[0].stat, CLIP_STATS[0], "within each voice pitch level is the cue");
  assert(pitchD(z) > 3, `${pitchD(z)}`);
  assertAlmostEquals(z.cues.find((c) => c.stat.startsWith("loudness level"))!.d, 0, 1e-9);
  assertAlmostEquals(cohensD([1, 2, 3], [1, 2, 3]), 0, 1e-12);
  assert(Number.isNaN(cohensD([1], [2, 3])), "one clip has no spread");
});
