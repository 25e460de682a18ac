/**
 * Your own recording, any length: where the speech is, every window of it scored, and the
 * emotion over time with its mean. The steps `predict` and the live page's files share:
 *
 * 1. `analyseRecording`: the speech detector over the whole recording; silence before and after
 *    the speech is trimmed; the speech is cut into windows of the model's clip length (`hopS`
 *    apart, the last ending where the speech ends; a stretch shorter than a window gets one
 *    window centred on it, and a recording shorter than a window is padded, as training pads);
 *    each window's features, and the running statistics of the voice in it.
 * 2. The caller picks the voice statistics (this file's own, several files pooled, or none).
 * 3. `scoreRecording`: every speech window's probabilities and their mean.
 *
 * Memory: the recording's samples (`SampleStore`: 16-bit past ten minutes) and per window a few
 * numbers; model inputs are kept for reuse only for recordings held as floats, longer ones are
 * featurized again in step 3. Pure: no Deno APIs.
 */
import { type SpeechTrack, speechTrack, voicedSpan } from "../features/speech.ts";
import { judgeSpeech } from "../features/speech.ts";
import type { SampleStore } from "../audio/stream.ts";
import { windowStarts } from "../audio/load.ts";
import type { FeatureExtractor } from "../features/extract.ts";
import { assertFiniteFeatures } from "../features/clip.ts";
import {
  inputOf,
  predictMean,
  type Predictor,
  type Voice,
  VoiceStatistics,
} from "../model/predictor.ts";
import type { GateOptions } from "./gate.ts";

export interface TimelineWindow {
  startS: number;
  endS: number;
  speech: boolean;
  /** Why the detector heard no speech in it; empty when it did. */
  why: string;
  /** Null for windows without speech (and before scoring). */
  probs: Float32Array | null;
}

export interface RecordingAnalysis {
  source: string;
  sampleRateHz: number;
  durationS: number;
  /** Seconds `[from, to)` of the speech after trimming; null when nothing is voiced. */
  speechSpanS: [number, number] | null;
  /** Seconds of voiced frames in the whole recording. */
  voicedS: number;
  windows: TimelineWindow[];
  /** Statistics of the model inputs of every speech window: this voice, as far as heard. */
  voice: VoiceStatistics;
  /** Seconds of speech the windows cover (overlaps counted once). */
  speechS: number;
  /** Why the recording as a whole is no speech; empty when some window is speech. */
  why: string;
  /** The samples, the windows' length and starts (samples), and the inputs kept for scoring. */
  store: SampleStore;
  window: number;
  starts: number[];
  kept: Map<number, Float32Array>;
}

export interface TimelineSettings {
  /** Window length in seconds: the run's clip length (`audio.durationS`). */
  windowS: number;
  /** Seconds between window starts. */
  hopS: number;
  gate: GateOptions;
}

/** Model inputs are kept between the steps for recordings up to this many samples (floats). */
function keepsInputs(store: SampleStore): boolean {
  return store.bytesPerSample === 4;
}

/** Window starts (samples) over `[from, to)` of a recording `length` samples long. */
export function speechWindowStarts(
  length: number,
  from: number,
  to: number,
  window: number,
  hop: number,
): number[] {
  if (length <= window) return [0];
  if (to - from <= window) {
    const centred = Math.round((from + to) / 2 - window / 2);
    return [Math.max(0, Math.min(length - window, centred))];
  }
  return windowStarts(to - from, window, hop).map((s) => from + s);
}

export function analyseRecording(
  store: SampleStore,
  source: string,
  extractor: FeatureExtractor,
  predictor: Predictor,
  settings: TimelineSettings,
): RecordingAnalysis {
  const rate = store.sampleRateHz;
  const window = Math.round(settings.windowS * rate);
  const hop = Math.max(1, Math.round(settings.hopS * rate));
  const track: SpeechTrack = speechTrack(store, rate, settings.gate.gateDbfs);
  const whole = judgeSpeech(track, settings.gate);
  const span = voicedSpan(track);
  const voice = new VoiceStatistics(predictor);
  const kept = new Map<number, Float32Array>();
  const windows: TimelineWindow[] = [];
  const starts = span ? speechWindowStarts(store.length, span[0], span[1], window, hop) : [];
  let covered = 0;
  let lastEnd = 0;
  for (const [w, start] of starts.entries()) {
    const end = Math.min(store.length, start + window);
    const verdict = judgeSpeech(track, settings.gate, start, end);
    windows.push({
      startS: start / rate,
      endS: end / rate,
      speech: verdict.speech,
      why: verdict.why,
      probs: null,
    });
    if (!verdict.speech) continue;
    const input = windowInput(store, start, window, extractor, predictor, source);
    voice.add(input);
    if (keepsInputs(store)) kept.set(w, input);
    covered += end - Math.max(start, lastEnd);
    lastEnd = end;
  }
  const anySpeech = windows.some((w) => w.speech);
  return {
    source,
    sampleRateHz: rate,
    durationS: store.length / rate,
    speechSpanS: span ? [span[0] / rate, span[1] / rate] : null,
    voicedS: whole.voicedS,
    windows,
    voice,
    speechS: covered / rate,
    why: anySpeech ? "" : (whole.why || windows.find((w) => w.why)?.why || "no speech"),
    store,
    window,
    starts,
    kept,
  };
}

function windowInput(
  store: SampleStore,
  start: number,
  window: number,
  extractor: FeatureExtractor,
  predictor: Predictor,
  source: string,
): Float32Array {
  const y = store.read(start, start + window);
  const at = `${source} (window at ${(start / store.sampleRateHz).toFixed(2)} s)`;
  return inputOf(assertFiniteFeatures(extractor.extract(y), at), predictor.input);
}

/**
 * Scores every speech window with `predictor` (the run's, or its strict twin's: then pass the
 * twin's extractor and no `speaker`), fills `windows[].probs` and returns the mean over the
 * speech windows, or null when there are none.
 */
export function scoreRecording(
  a: RecordingAnalysis,
  predictor: Predictor,
  extractor: FeatureExtractor,
  speaker?: Voice,
  sameInputs = true,
  variants?: (y: Float32Array) => Float32Array[],
): Float32Array | null {
  const sum = new Float32Array(predictor.labels.length);
  let n = 0;
  for (const [w, win] of a.windows.entries()) {
    if (!win.speech) continue;
    const input = (sameInputs ? a.kept.get(w) : undefined) ??
      windowInput(a.store, a.starts[w], a.window, extractor, predictor, a.source);
    // The run's test-time variants of this window, if any, averaged with it.
    const start = a.starts[w];
    const at = `${a.source} (window at ${(start / a.sampleRateHz).toFixed(2)} s, a variant)`;
    const more = (variants?.(a.store.read(start, start + a.window)) ?? []).map((y) =>
      inputOf(assertFiniteFeatures(extractor.extract(y), at), predictor.input)
    );
    win.probs = predictMean(predictor, [input, ...more], speaker);
    for (let c = 0; c < sum.length; c++) sum[c] += win.probs[c];
    n++;
  }
  if (!n) return null;
  for (let c = 0; c < sum.length; c++) sum[c] /= n;
  return sum;
}
