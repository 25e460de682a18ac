/**
 * Everything we compute from one clip, from a single STFT. Pure: no Deno APIs.
 *
 * The 162-value clip vector is the classic recipe's: frame means of ZCR (1), chroma (12),
 * MFCC (20), RMS (1) and mel power (128), in that order.
 */
import { createFilterKernel } from "./filter_rows_wasm.ts";
import type { FeatureConfig } from "../config/config.ts";
import { frameCount, spectrumPower, stft } from "./stft.ts";
import {
  applyFilterBank,
  chromaFilterBank,
  dctOrthoMatrix,
  type FilterBank,
  melFilterBank,
} from "./filters.ts";
import {
  delta,
  estimateTuning,
  normalizeColumnsMax,
  powerToDb,
  rmsEnergy,
  zeroCrossingRate,
} from "./spectral.ts";
import { PROSODY_DIM, prosodyFrames, silentProsodyFrame } from "./prosody.ts";

/** Feature-major matrices `[rows][nFrames]`, as librosa returns them. */
export interface FrameFeatures {
  /** Frames of every matrix. */
  nFrames: number;
  /** Zero-crossing rate per frame. */
  zcr: Float64Array;
  /** RMS per frame. */
  rms: Float64Array;
  /** Chroma, `nChroma` rows. */
  chroma: Float64Array;
  /** Mel power, `nMels` rows. */
  mel: Float64Array;
  /** MFCCs, `nMfcc` rows. */
  mfcc: Float64Array;
  /** Tuning (fraction of a semitone) librosa's chroma estimated for this clip. */
  tuning: number;
}

/** The frame sequences the frame networks read, frame-major. */
export interface SequenceFeatures {
  /** Frames per sequence (fixed by the config's clip duration). */
  nFrames: number;
  /** Frames that hold audio; the rest are digital silence at the end of short clips. */
  validFrames: number;
  /** Frame-major `[nFrames][sequenceMels]` log-mel (dB, top_db floor). */
  logmel: Float32Array;
  /** Frame-major `[nFrames][3 * nMfcc]`: MFCC, delta, delta-delta. */
  mfccDelta: Float32Array;
  /** Frame-major `[nFrames][PROSODY_DIM]`: pitch, voicing, loudness, tilt (`prosody.ts`). */
  prosody: Float32Array;
}

export { concatFrames, selectChannels } from "../schema/inputs.ts";

/** Everything computed for one clip: the frame matrices, the 162-value vector, the sequences. */
export interface ClipFeatures {
  /** Feature-major matrices (ZCR, RMS, chroma, mel, MFCC), as librosa returns them. */
  frames: FrameFeatures;
  /** The classic 162 values: ZCR 1, chroma 12, MFCC 20, RMS 1, mel 128, time-averaged. */
  vector: Float32Array;
  /** Frame-major sequences for the frame networks: log-mel, MFCC + deltas, prosody. */
  sequence: SequenceFeatures;
}

export type VectorBlock = "zcr" | "chroma" | "mfcc" | "rms" | "mel";

/** The clip vector's blocks in order, with their sizes: the classic recipe's layout. */
export const CLIP_VECTOR_LAYOUT = (f: FeatureConfig): { name: VectorBlock; size: number }[] => [
  { name: "zcr", size: 1 },
  { name: "chroma", size: f.nChroma },
  { name: "mfcc", size: f.nMfcc },
  { name: "rms", size: 1 },
  { name: "mel", size: f.nMels },
];

export function clipVectorLength(f: FeatureConfig): number {
  return CLIP_VECTOR_LAYOUT(f).reduce((a, b) => a + b.size, 0);
}

/** Frames in a sequence for clips of `durationS` seconds at `sampleRateHz`. */
export function sequenceFrameCount(
  f: FeatureConfig,
  sampleRateHz: number,
  durationS: number,
): number {
  return frameCount(Math.trunc(durationS * sampleRateHz), f.nFft, f.hopLength, true);
}

/** How many columns each frame sequence has per frame (log-mel bands, MFCC + deltas, prosody). */
export function sequenceWidths(
  f: Pick<FeatureConfig, "sequenceMels" | "nMfcc">,
): { logmel: number; mfccDelta: number; prosody: number } {
  return { logmel: f.sequenceMels, mfccDelta: 3 * f.nMfcc, prosody: PROSODY_DIM };
}

/** Filter banks and the DCT depend only on the config; build them once per extractor. */
export interface FeatureExtractor {
  /** The feature settings it computes with. */
  config: FeatureConfig;
  /** The rate clips must have. */
  sampleRateHz: number;
  /** Frames of every sequence (clips are padded or cut to the window). */
  sequenceFrames: number;
  /** The features of one clip of `sampleRateHz` samples. */
  extract(y: Float32Array): ClipFeatures;
  /** Only the frame features and the clip vector (what the classic recipe uses). */
  extractVector(y: Float32Array): Omit<ClipFeatures, "sequence">;
}

/** A feature extractor for `config` at `sampleRateHz`, for windows of `durationS` seconds. */
export function createFeatureExtractor(
  config: FeatureConfig,
  sampleRateHz: number,
  durationS: number,
): FeatureExtractor {
  const mel = melFilterBank(sampleRateHz, config.nFft, config.nMels);
  const seqMel = config.sequenceMels === config.nMels
    ? mel
    : melFilterBank(sampleRateHz, config.nFft, config.sequenceMels);
  const dct = dctOrthoMatrix(config.nMfcc, config.nMels);
  const chromaBanks = new Map<number, FilterBank>();
  const chromaBank = (tuning: number) => {
    let b = chromaBanks.get(tuning);
    if (!b) {
      b = chromaFilterBank(sampleRateHz, config.nFft, tuning, config.nChroma);
      chromaBanks.set(tuning, b);
    }
    return b;
  };
  const sequenceFrames = sequenceFrameCount(config, sampleRateHz, durationS);
  const kernel = createFilterKernel();
  const ctx: ExtractContext = {
    cfg: config,
    sampleRateHz,
    melBank: mel,
    seqMelBank: seqMel,
    dct,
    chromaBank,
    sequenceFrames,
    applyBank: kernel ? kernel.apply : applyFilterBank,
  };
  return {
    config,
    sampleRateHz,
    sequenceFrames,
    extract: (y) => {
      const r = extractWith(y, ctx, true);
      return { ...r, sequence: r.sequence! };
    },
    extractVector: (y) => extractWith(y, ctx, false),
  };
}

/** What an extractor fixes once: config, filter banks, DCT, and how banks are applied. */
interface ExtractContext {
  cfg: FeatureConfig;
  sampleRateHz: number;
  melBank: FilterBank;
  seqMelBank: FilterBank;
  dct: Float64Array;
  chromaBank: (tuning: number) => FilterBank;
  sequenceFrames: number;
  applyBank: (bank: FilterBank, spec: Float64Array, nFrames: number) => Float64Array;
}

/** MFCC from dB-scaled mel power: the first `nMfcc` orthonormal DCT-II coefficients per frame. */
function dctFrames(
  melDb: Float64Array,
  nMels: number,
  nFrames: number,
  dct: Float64Array,
  nMfcc: number,
): Float64Array {
  const out = new Float64Array(nMfcc * nFrames);
  for (let k = 0; k < nMfcc; k++) {
    const row = out.subarray(k * nFrames, (k + 1) * nFrames);
    for (let m = 0; m < nMels; m++) {
      const c = dct[k * nMels + m];
      const src = m * nFrames;
      for (let t = 0; t < nFrames; t++) row[t] += c * melDb[src + t];
    }
  }
  return out;
}

function maxOf(x: Float64Array): number {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > m) m = x[i];
  return m;
}

/** Appends zero-power frames so every sequence has the same length. */
function padFrames(x: Float64Array, rows: number, nFrames: number, total: number): Float64Array {
  if (nFrames === total) return x;
  const out = new Float64Array(rows * total);
  for (let r = 0; r < rows; r++) {
    out.set(x.subarray(r * nFrames, r * nFrames + Math.min(nFrames, total)), r * total);
  }
  return out;
}

function toFrameMajor(blocks: Float64Array[], rowsPer: number[], nFrames: number): Float32Array {
  const width = rowsPer.reduce((a, b) => a + b, 0);
  const out = new Float32Array(nFrames * width);
  let col = 0;
  blocks.forEach((b, i) => {
    for (let r = 0; r < rowsPer[i]; r++) {
      for (let t = 0; t < nFrames; t++) out[t * width + col + r] = b[r * nFrames + t];
    }
    col += rowsPer[i];
  });
  return out;
}

function rowMeans(x: Float64Array, rows: number, nFrames: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let t = 0; t < nFrames; t++) s += x[r * nFrames + t];
    out[r] = s / nFrames;
  }
  return out;
}

function extractWith(
  y: Float32Array,
  ctx: ExtractContext,
  withSequences: boolean,
): Omit<ClipFeatures, "sequence"> & { sequence?: SequenceFeatures } {
  const { cfg, sampleRateHz, melBank, seqMelBank, dct, chromaBank, sequenceFrames, applyBank } =
    ctx;
  if (y.length === 0) throw new Error("extractFeatures: empty signal");
  // The wasm FFT's spectra are float32 already; widening them to float64 would only copy.
  const spec = stft(y, {
    nFft: cfg.nFft,
    hopLength: cfg.hopLength,
    center: true,
    padMode: cfg.padMode,
    output: "f32",
  });
  const { nFrames, nBins } = spec;
  const power = spectrumPower(spec, 2);
  const magnitude = new Float64Array(power.length);
  for (let i = 0; i < power.length; i++) magnitude[i] = Math.sqrt(power[i]);

  const zcr = zeroCrossingRate(y, cfg.nFft, cfg.hopLength);
  const rms = rmsEnergy(y, cfg.nFft, cfg.hopLength);
  const mel = applyBank(melBank, power, nFrames);
  const melDb = powerToDb(mel, 1e-10, cfg.topDb);
  const mfcc = dctFrames(melDb, cfg.nMels, nFrames, dct, cfg.nMfcc);
  // chroma_stft(S=|STFT|) uses the magnitude as given (librosa only squares when it computes
  // the STFT itself), with tuning estimated from the same magnitudes.
  const tuning = estimateTuning(magnitude, nFrames, nBins, sampleRateHz, cfg.nFft);
  const chroma = applyBank(chromaBank(tuning), magnitude, nFrames);
  normalizeColumnsMax(chroma, cfg.nChroma, nFrames);

  const vector = new Float32Array(clipVectorLength(cfg));
  const blocks: Record<VectorBlock, Float64Array> = { zcr, chroma, mfcc, rms, mel };
  let at = 0;
  for (const { name, size } of CLIP_VECTOR_LAYOUT(cfg)) {
    vector.set(rowMeans(blocks[name], size, nFrames), at);
    at += size;
  }

  const frames = { nFrames, zcr, rms, chroma, mel, mfcc, tuning };
  if (!withSequences) return { frames, vector };

  // Sequences: same STFT, zero-power frames appended for clips shorter than the crop.
  const T = sequenceFrames;
  const validFrames = Math.min(nFrames, T);
  const seqMelPower = padFrames(
    seqMelBank === melBank ? mel : applyBank(seqMelBank, power, nFrames),
    cfg.sequenceMels,
    nFrames,
    T,
  );
  const logmel = powerToDb(seqMelPower, 1e-10, cfg.topDb);
  // Zero-power padding frames leave the dB maximum (and so the top_db floor) unchanged: the
  // clip's MFCC columns stay as they are and every padding column is the DCT of the floor.
  const seqMfcc = padFrames(mfcc, cfg.nMfcc, nFrames, T);
  if (validFrames < T) {
    const floorDb = Math.max(-100, maxOf(melDb) - cfg.topDb);
    for (let k = 0; k < cfg.nMfcc; k++) {
      let c = 0;
      for (let m = 0; m < cfg.nMels; m++) c += dct[k * cfg.nMels + m] * floorDb;
      seqMfcc.fill(c, k * T + validFrames, (k + 1) * T);
    }
  }
  const prosody = new Float32Array(T * PROSODY_DIM);
  prosody.set(
    prosodyFrames(y, sampleRateHz, cfg.nFft, cfg.hopLength, power, rms, zcr).subarray(
      0,
      validFrames * PROSODY_DIM,
    ),
  );
  const silent = silentProsodyFrame();
  for (let t = validFrames; t < T; t++) prosody.set(silent, t * PROSODY_DIM);
  const d1 = delta(seqMfcc, cfg.nMfcc, T, 1);
  const d2 = delta(seqMfcc, cfg.nMfcc, T, 2);
  return {
    frames,
    vector,
    sequence: {
      nFrames: T,
      validFrames,
      logmel: toFrameMajor([logmel], [cfg.sequenceMels], T),
      mfccDelta: toFrameMajor([seqMfcc, d1, d2], [cfg.nMfcc, cfg.nMfcc, cfg.nMfcc], T),
      prosody,
    },
  };
}
