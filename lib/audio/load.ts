/**
 * `librosa.load` semantics on bytes already in memory: decode, mix to mono, crop by
 * offset/duration, resample. Pure: no Deno APIs (the file read lives in `read_file.ts`).
 */
import { decodeWav, toMono, windowFrames } from "./wav.ts";
import { resample, type ResamplerName } from "./resample.ts";

export interface LoadOptions {
  /** Target rate; `null` keeps the file's own rate. */
  sampleRateHz: number | null;
  /** Seconds skipped at the start (librosa's `offset`). */
  offsetS: number;
  /** Seconds kept after the offset (librosa's `duration`); `null` keeps the rest. */
  durationS: number | null;
  resampler: ResamplerName;
}

export interface LoadedClip {
  samples: Float32Array;
  sampleRateHz: number;
  nativeSampleRateHz: number;
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

export function loadAudio(bytes: Uint8Array, opts: LoadOptions, source = "<audio>"): LoadedClip {
  const decoded = decodeWav(bytes, source, opts);
  const native = toMono(decoded.channels);
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
