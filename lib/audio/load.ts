/**
 * `librosa.load` semantics on bytes already in memory: decode, mix to mono, crop by
 * offset/duration, resample. Pure: no Deno APIs (the file read lives in `read_file.ts`).
 */
import { type ByteSource, decodeWav, toMono, windowFrames } from "./wav.ts";
import { resample, type ResamplerName } from "./resample.ts";

/** How `loadAudio` reads a clip: `librosa.load`'s sample rate, offset and duration. */
export interface LoadOptions {
  /** Target rate; `null` keeps the file's own rate. */
  sampleRateHz: number | null;
  /** Seconds skipped at the start (librosa's `offset`). */
  offsetS: number;
  /** Seconds kept after the offset (librosa's `duration`); `null` keeps the rest. */
  durationS: number | null;
  /** The resampling filter (librosa's default, `kaiser_best`). */
  resampler: ResamplerName;
  /**
   * Trim leading and trailing audio quieter than the loudest frame by more than this many dB
   * (librosa.effects.trim's `top_db`), before the offset and duration apply; 0 keeps it all.
   */
  trimDb?: number;
}

/** A clip as `loadAudio` returns it: mono samples at the asked rate, and what the file held. */
export interface LoadedClip {
  /** Mono samples in [-1, 1). */
  samples: Float32Array;
  /** The rate of `samples`. */
  sampleRateHz: number;
  /** The file's own sample rate. */
  nativeSampleRateHz: number;
  /** Channels in the file (averaged to mono). */
  nativeChannels: number;
  /** Length of the whole file in seconds, before cropping. */
  nativeDurationS: number;
}

/** Crops decoded samples like `librosa.load(offset, duration)` (see `windowFrames`). */
export function cropSamples(
  samples: Float32Array,
  sampleRateHz: number,
  offsetS: number,
  durationS: number | null,
): Float32Array {
  const [start, count] = windowFrames(samples.length, sampleRateHz, { offsetS, durationS });
  return samples.subarray(start, start + count);
}

/**
 * `[from, to)` of the audio between the first and last frame (2048 samples, hop 512, as
 * librosa.effects.trim frames them) whose RMS is within `topDb` of the loudest frame's.
 */
export function speechSpan(y: Float32Array, topDb: number): [number, number] {
  const frame = 2048;
  const hop = 512;
  const rms: number[] = [];
  // The peak in the same loop: a spread of every frame into Math.max overflows the stack past
  // about 120,000 frames (22 minutes at 48 kHz).
  let peak = 0;
  for (let at = 0; at < Math.max(1, y.length - frame + hop); at += hop) {
    let sum = 0;
    const end = Math.min(y.length, at + frame);
    for (let i = at; i < end; i++) sum += y[i] * y[i];
    const r = Math.sqrt(sum / frame);
    rms.push(r);
    if (r > peak) peak = r;
  }
  if (!(peak > 0)) return [0, 0];
  const floor = peak * 10 ** (-topDb / 20);
  const first = rms.findIndex((r) => r > floor);
  let last = rms.length - 1;
  while (last > first && !(rms[last] > floor)) last--;
  return [first * hop, Math.min(y.length, last * hop + frame)];
}

/**
 * Where the windows of a clip of `length` samples start: every `hop` samples from 0, the last
 * one ending at the clip's end so every sample is heard; a clip no longer than one window (or
 * `hop` 0) has a single window at 0.
 */
export function windowStarts(length: number, window: number, hop: number): number[] {
  if (hop <= 0 || length <= window) return [0];
  const starts: number[] = [];
  for (let at = 0; at + window < length; at += hop) starts.push(at);
  const last = length - window;
  if (starts[starts.length - 1] !== last) starts.push(last);
  return starts;
}

/** `librosa.load` on a WAV file's bytes: decode, mix to mono, crop, resample; errors name `source`. */
export function loadAudio(
  bytes: Uint8Array | ByteSource,
  opts: LoadOptions,
  source = "<audio>",
): LoadedClip {
  const trimDb = opts.trimDb ?? 0;
  // Trimming needs the whole file; otherwise decoding only the window is the cheaper crop.
  const decoded = decodeWav(bytes, source, trimDb > 0 ? undefined : opts);
  let native = toMono(decoded.channels);
  if (trimDb > 0) {
    const [from, to] = speechSpan(native, trimDb);
    native = cropSamples(
      native.subarray(from, to),
      decoded.sampleRateHz,
      opts.offsetS,
      opts.durationS,
    );
  }
  const targetRate = opts.sampleRateHz ?? decoded.sampleRateHz;
  const samples = targetRate === decoded.sampleRateHz
    ? native.slice()
    : resample(native, decoded.sampleRateHz, targetRate, opts.resampler);
  return {
    samples,
    sampleRateHz: targetRate,
    nativeSampleRateHz: decoded.sampleRateHz,
    nativeChannels: decoded.channels.length,
    nativeDurationS: decoded.totalFrames / decoded.sampleRateHz,
  };
}
