/**
 * Is anyone speaking? Loudness alone says yes to hum, a DC offset, a whistle, a fan or a chord.
 * Speech is voiced (periodic, with a pitch in the range of voices) in runs of syllables, and its
 * pitch moves: intonation spans semitones within seconds, where hum, sines and held notes stay
 * on one pitch and noise has none. So a frame counts when it is loud enough (its level without
 * DC), periodic by YIN, and continues a pitch track; a stretch is speech when such frames add up
 * to `minVoicedS` and their pitch spans at least `minPitchRangeSt` semitones.
 * Pure: no Deno APIs, so `predict`, the live page and the corpus tests share it.
 */
import { yinTrack } from "./prosody.ts";

/** Settings of the speech detector. */
export interface SpeechOptions {
  /** dB re full scale a frame's level (DC removed) must exceed. */
  gateDbfs: number;
  /** Seconds of voiced frames a stretch needs to be speech. */
  minVoicedS: number;
  /** Spread of pitch (10th to 90th percentile, semitones) a stretch needs to be speech. */
  minPitchRangeSt?: number;
}

/** Voices' pitch: a low male voice to a shouting child. */
const FMIN_HZ = 70;
const FMAX_HZ = 600;
/**
 * YIN's trough threshold: emotional speech's voiced frames reach 0.3-0.4 (pitch moving within the
 * frame), white and pink noise and chords without a common period in range stay above it.
 */
const PERIODIC = 0.4;
/** Frames (20 ms each) a pitch track must last: a syllable's voiced part is 60 ms or more. */
const MIN_RUN = 3;
/** Largest pitch step (semitones) between neighbouring frames of one track. */
const MAX_STEP_ST = 2;
export const DEFAULT_PITCH_RANGE_ST = 1;
export const SPEECH_HOP_S = 0.02;

/** Per 20 ms frame: level, pitch and whether it belongs to a voiced track. */
export interface SpeechTrack {
  /** The rate of the signal it was made of. */
  sampleRateHz: number;
  /** Samples between frames. */
  hop: number;
  /** Frames; frame t is centred on sample `t * hop`. */
  length: number;
  /** Samples of the signal. */
  signalLength: number;
  /** dB re full scale, DC removed. */
  levelDb: Float32Array;
  /** Semitones re 55 Hz; NaN where not voiced. */
  pitchSt: Float32Array;
  /** 1 where the frame is part of a voiced track of `MIN_RUN` frames or more. */
  voiced: Uint8Array;
}

/** The analysis frame: a power of two holding two periods of the lowest pitch. */
function frameLengthFor(sampleRateHz: number): number {
  let n = 256;
  while (n / 2 - 1 < Math.ceil(sampleRateHz / FMIN_HZ) + 1) n *= 2;
  return n;
}

/** Samples `[from, to)` of a signal, as floats: an array in memory or a `SampleStore`. */
export interface SampleReader {
  /** Samples in the signal. */
  length: number;
  /** Samples `[from, to)` as floats. */
  read(from: number, to: number): Float32Array;
}

export function arrayReader(samples: Float32Array): SampleReader {
  return { length: samples.length, read: (a, b) => samples.subarray(Math.max(0, a), b) };
}

/**
 * The frame track of a whole signal, computed in chunks of about a minute (frames are
 * independent, so the chunks join exactly), so a long recording costs its frames, not a copy.
 */
export function speechTrack(
  signal: SampleReader | Float32Array,
  sampleRateHz: number,
  gateDbfs: number,
): SpeechTrack {
  const reader = signal instanceof Float32Array ? arrayReader(signal) : signal;
  const hop = Math.max(1, Math.round(SPEECH_HOP_S * sampleRateHz));
  const N = frameLengthFor(sampleRateHz);
  const half = N / 2;
  const length = 1 + Math.floor(reader.length / hop);
  const levelDb = new Float32Array(length);
  const pitchSt = new Float32Array(length).fill(NaN);
  const margin = Math.ceil(half / hop);
  const chunk = Math.max(1, Math.round(60 / SPEECH_HOP_S));
  for (let f0 = 0; f0 < length; f0 += chunk) {
    const f1 = Math.min(length, f0 + chunk);
    // The chunk starts `margin` frames early so every kept frame sees its real neighbourhood.
    const lead = Math.min(margin, f0);
    const from = (f0 - lead) * hop;
    const seg = reader.read(from, Math.min(reader.length, (f1 - 1) * hop + half + 1));
    const yin = yinTrack(seg, sampleRateHz, {
      fminHz: FMIN_HZ,
      fmaxHz: FMAX_HZ,
      frameLength: N,
      hopLength: hop,
      troughThreshold: PERIODIC,
    });
    for (let f = f0; f < f1; f++) {
      const local = f - f0 + lead;
      const centre = f * hop - from;
      const a = Math.max(0, centre - hop);
      const b = Math.min(seg.length, centre + hop);
      let sum = 0;
      let sq = 0;
      for (let i = a; i < b; i++) {
        sum += seg[i];
        sq += seg[i] * seg[i];
      }
      const n = Math.max(1, b - a);
      const variance = Math.max(0, sq / n - (sum / n) ** 2);
      levelDb[f] = variance > 0 ? 10 * Math.log10(variance) : -Infinity;
      const hz = yin.f0Hz[local];
      if (Number.isFinite(hz) && levelDb[f] > gateDbfs) pitchSt[f] = 12 * Math.log2(hz / 55);
    }
  }
  const voiced = new Uint8Array(length);
  let runStart = 0;
  for (let f = 1; f <= length; f++) {
    // YIN's octave slips (the period doubled or halved) do not break a track.
    const step = Math.abs(pitchSt[f] - pitchSt[f - 1]);
    const continues = f < length && Number.isFinite(step) &&
      Math.min(step, Math.abs(step - 12)) <= MAX_STEP_ST;
    if (continues) continue;
    if (f - runStart >= MIN_RUN && Number.isFinite(pitchSt[runStart])) {
      voiced.fill(1, runStart, f);
    }
    runStart = f;
  }
  return { sampleRateHz, hop, length, signalLength: reader.length, levelDb, pitchSt, voiced };
}

/** What the speech detector says about a stretch of audio, and why. */
export interface SpeechVerdict {
  /** Whether it is speech. */
  speech: boolean;
  /** Seconds of voiced-track frames. */
  voicedS: number;
  /** Semitones between the 10th and 90th percentile of their pitch (0 with none). */
  pitchRangeSt: number;
  /** Level of the stretch, dB re full scale, DC removed (-Infinity for silence). */
  levelDbfs: number;
  /** Why it is not speech, in a few words; empty when it is. */
  why: string;
}

/** The verdict for samples `[from, to)` of the signal the track was made of. */
export function judgeSpeech(
  track: SpeechTrack,
  opts: SpeechOptions,
  from = 0,
  to = track.signalLength,
): SpeechVerdict {
  const f0 = Math.max(0, Math.ceil(from / track.hop));
  const f1 = Math.min(track.length, Math.ceil(to / track.hop));
  const pitches: number[] = [];
  let power = 0;
  for (let f = f0; f < f1; f++) {
    if (track.voiced[f] && track.levelDb[f] > opts.gateDbfs) pitches.push(track.pitchSt[f]);
    power += track.levelDb[f] === -Infinity ? 0 : 10 ** (track.levelDb[f] / 10);
  }
  const levelDbfs = f1 > f0 && power > 0 ? 10 * Math.log10(power / (f1 - f0)) : -Infinity;
  const voicedS = pitches.length * (track.hop / track.sampleRateHz);
  pitches.sort((a, b) => a - b);
  const pct = (p: number) => pitches[Math.min(pitches.length - 1, Math.floor(p * pitches.length))];
  const pitchRangeSt = pitches.length ? pct(0.9) - pct(0.1) : 0;
  const minRange = opts.minPitchRangeSt ?? DEFAULT_PITCH_RANGE_ST;
  let why = "";
  // Only voiced frames above the gate count, so a quiet recording of a voice is still speech.
  if (voicedS < opts.minVoicedS) {
    why = voicedS > 0
      ? `only ${voicedS.toFixed(2)} s voiced`
      : `nothing voiced (level ${Number.isFinite(levelDbfs) ? levelDbfs.toFixed(1) : "-inf"} dBFS)`;
  } else if (pitchRangeSt < minRange) why = `pitch steady (${pitchRangeSt.toFixed(2)} semitones)`;
  return { speech: why === "", voicedS, pitchRangeSt, levelDbfs, why };
}

/**
 * Samples `[from, to)` from the first to the last voiced frame, widened by `padS` on each side
 * (the unvoiced consonants around them), or null where nothing is voiced.
 */
export function voicedSpan(track: SpeechTrack, padS = 0.25): [number, number] | null {
  const first = track.voiced.indexOf(1);
  if (first < 0) return null;
  const last = track.voiced.lastIndexOf(1);
  const pad = Math.round(padS * track.sampleRateHz);
  const end = track.signalLength;
  return [Math.max(0, first * track.hop - pad), Math.min(end, last * track.hop + pad)];
}

/** One call for a clip in memory: is it speech? */
export function detectSpeech(
  samples: Float32Array,
  sampleRateHz: number,
  opts: SpeechOptions,
): SpeechVerdict {
  return judgeSpeech(speechTrack(samples, sampleRateHz, opts.gateDbfs), opts);
}
