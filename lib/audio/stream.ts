/**
 * A recording of any length, read in blocks: decoded, mixed to mono and resampled piece by piece,
 * with exactly the samples that decoding and resampling the whole file give (`loadAudio`), so a
 * two-hour podcast costs the samples kept and a few blocks, not the file several times over.
 * Pure: the bytes come from a `ByteSource` (a file on disk in `read_file.ts`, or memory).
 */
import { type ByteSource, decodeFrames, toMono, type WavLayout, wavLayout } from "./wav.ts";
import { resample, resampledLength, resamplePeriod, type ResamplerName } from "./resample.ts";

export interface StreamedBlock {
  /** Index of the block's first sample in the resampled signal. */
  start: number;
  samples: Float32Array;
}

export interface AudioStream {
  source: string;
  layout: WavLayout;
  /** The rate the blocks come at. */
  sampleRateHz: number;
  /** Samples the blocks hold together (librosa's resampled length). */
  length: number;
  /** The mono, resampled signal in order, about `blockFrames` input frames at a time. */
  blocks(): Generator<StreamedBlock>;
}

/** Input frames decoded at a time: 1 Mi frames is 22 s at 48 kHz, a few MB per channel. */
export const STREAM_BLOCK_FRAMES = 1 << 20;

export function openAudioStream(
  src: ByteSource,
  source: string,
  sampleRateHz: number | null,
  resampler: ResamplerName = "kaiser_best",
  blockFrames = STREAM_BLOCK_FRAMES,
): AudioStream {
  const layout = wavLayout(src, source);
  const n = layout.totalFrames;
  const rateIn = layout.sampleRateHz;
  const rateOut = sampleRateHz ?? rateIn;
  const mono = (from: number, to: number): Float32Array => {
    if (to <= from) return new Float32Array(0);
    const want = (to - from) * layout.blockAlign;
    const bytes = src.read(layout.dataOffset + from * layout.blockAlign, want);
    if (bytes.length < want) {
      throw new Error(`${source}: not a valid WAV file: truncated while reading its samples`);
    }
    return toMono(decodeFrames(layout, bytes, from, source).channels);
  };
  const length = rateIn === rateOut ? n : resampledLength(n, rateIn, rateOut);
  function* blocks(): Generator<StreamedBlock> {
    if (rateIn === rateOut) {
      for (let at = 0; at < n; at += blockFrames) {
        yield { start: at, samples: mono(at, Math.min(n, at + blockFrames)) };
      }
      return;
    }
    const period = resamplePeriod(rateIn, rateOut, resampler);
    if (!period) {
      yield { start: 0, samples: resample(mono(0, n), rateIn, rateOut, resampler) };
      return;
    }
    // Pieces cut on period boundaries (`down` inputs give `up` outputs) with `reachIn` real
    // input on either side: each output sees the samples it would see in the whole file.
    const { up, down, reachIn } = period;
    const perBlock = Math.max(1, Math.floor(blockFrames / down));
    const context = Math.ceil(reachIn / down);
    const periods = Math.ceil(length / up);
    for (let p0 = 0; p0 < periods; p0 += perBlock) {
      const p1 = Math.min(periods, p0 + perBlock);
      const from = Math.max(0, (p0 - context) * down);
      const to = Math.min(n, (p1 + context) * down);
      const y = resample(mono(from, to), rateIn, rateOut, resampler);
      const base = (from / down) * up;
      const t0 = p0 * up;
      const t1 = Math.min(length, p1 * up);
      yield { start: t0, samples: y.slice(t0 - base, t1 - base) };
    }
  }
  return { source, layout, sampleRateHz: rateOut, length, blocks };
}

/** A resampled recording held in memory: float32, or 16-bit for long ones (half the bytes). */
export interface SampleStore {
  sampleRateHz: number;
  length: number;
  /** Bytes per sample held: 4, or 2 past `floatLimitS`. */
  bytesPerSample: 2 | 4;
  /** Samples `[from, to)` as floats (a copy). */
  read(from: number, to: number): Float32Array;
}

/**
 * Up to this many seconds a recording is kept as float32, exactly as decoded; past it, as 16-bit
 * (quantisation 96 dB below full scale, far under any recording's noise floor), so a one-hour
 * file at 22.05 kHz holds 159 MB rather than 318.
 */
export const FLOAT_STORE_LIMIT_S = 600;

/** Reads the whole stream into a `SampleStore`. */
export function collectSamples(
  stream: AudioStream,
  floatLimitS = FLOAT_STORE_LIMIT_S,
): SampleStore {
  const { length, sampleRateHz } = stream;
  if (length <= floatLimitS * sampleRateHz) {
    const all = new Float32Array(length);
    for (const b of stream.blocks()) all.set(b.samples, b.start);
    return {
      sampleRateHz,
      length,
      bytesPerSample: 4,
      read: (from, to) => all.slice(Math.max(0, from), Math.min(length, to)),
    };
  }
  const all = new Int16Array(length);
  for (const b of stream.blocks()) {
    const s = b.samples;
    for (let i = 0; i < s.length; i++) {
      const q = Math.round(s[i] * 32768);
      all[b.start + i] = q > 32767 ? 32767 : q < -32768 ? -32768 : q;
    }
  }
  return {
    sampleRateHz,
    length,
    bytesPerSample: 2,
    read(from, to) {
      const a = Math.max(0, from);
      const out = new Float32Array(Math.max(0, Math.min(length, to) - a));
      for (let i = 0; i < out.length; i++) out[i] = all[a + i] / 32768;
      return out;
    },
  };
}
