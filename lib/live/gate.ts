/**
 * The "is anyone speaking?" gate of the live page and `predict`: the speech detector
 * (`features/speech.ts`: voiced frames in pitch tracks whose pitch moves), plus the levels the page's
 * meter shows. Silence, hum, whistles, noise and held chords are "no speech" instead of an
 * emotion. Pure.
 */
import { detectSpeech } from "../features/speech.ts";

export interface GateOptions {
  /** dB re full scale a voiced frame's level (DC removed) must exceed. */
  gateDbfs: number;
  /** Voiced seconds needed to call the window speech. */
  minVoicedS: number;
}

export interface Activity {
  /** RMS level of the whole window, dB re full scale (-Infinity for digital silence). */
  levelDbfs: number;
  /** RMS level of the newest 100 ms, for a level meter. */
  recentDbfs: number;
  /** Seconds of voiced frames (periodic, in a pitch track, above the gate). */
  voicedS: number;
  /** Spread of their pitch in semitones (speech moves; hum and tones do not). */
  pitchRangeSt: number;
  speech: boolean;
  /** Why it is not speech, in a few words; empty when it is. */
  why: string;
}

export function rmsDbfs(x: ArrayLike<number>, from = 0, to = x.length): number {
  if (to <= from) return -Infinity;
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i] * x[i];
  return 10 * Math.log10(sum / (to - from));
}

export function speechActivity(
  samples: Float32Array,
  sampleRateHz: number,
  opts: GateOptions,
): Activity {
  const verdict = detectSpeech(samples, sampleRateHz, opts);
  const recent = Math.min(samples.length, Math.round(0.1 * sampleRateHz));
  return {
    levelDbfs: rmsDbfs(samples),
    recentDbfs: rmsDbfs(samples, samples.length - recent),
    voicedS: verdict.voicedS,
    pitchRangeSt: verdict.pitchRangeSt,
    speech: verdict.speech,
    why: verdict.why,
  };
}
