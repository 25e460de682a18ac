/**
 * How our features compare with librosa's on the same samples: the numbers the parity tests
 * assert and the featurize notebook tabulates. Pure.
 *
 * Tolerances, and why:
 * - ZCR: exact up to 1e-7 (it counts integers).
 * - RMS, mel: max |error| <= 1e-5 x the matrix's largest value; librosa computes in float32
 *   (complex64 STFT, float32 filters), so relative agreement near 1e-6 of full scale is the most
 *   that can be asked.
 * - MFCC: max |error| <= 0.01 (dB-scaled cepstra reach +-800; float32 log rounding gives ~1e-4).
 * - chroma: max |error| <= 1e-4 (values in [0, 1]); this also proves the tuning estimate agrees,
 *   since a 0.01-semitone tuning difference moves chroma by ~1e-3.
 * - 162-vector: each value within 1e-4 relative (floor 1e-6 absolute).
 */
import type { FeatureExtractor } from "./extract.ts";

/** librosa's outputs for one clip: samples, frame matrices (feature-major) and the 162-vector. */
export interface ReferenceFeatures {
  y: Float32Array;
  zcr: Float32Array;
  rms: Float32Array;
  mel: Float32Array;
  mfcc: Float32Array;
  chroma: Float32Array;
  vector162: Float32Array;
}

export interface ParityErrors {
  zcrAbs: number;
  rmsRel: number;
  melRel: number;
  mfccAbs: number;
  chromaAbs: number;
  vectorRel: number;
}

export const PARITY_TOLERANCES: ParityErrors = {
  zcrAbs: 1e-7,
  rmsRel: 1e-5,
  melRel: 1e-5,
  mfccAbs: 0.01,
  chromaAbs: 1e-4,
  vectorRel: 1e-4,
};

/** Largest |ours - ref| and largest |ref|; throws when the lengths differ. */
export function maxAbsError(
  ours: ArrayLike<number>,
  ref: ArrayLike<number>,
): { err: number; scale: number } {
  if (ours.length !== ref.length) {
    throw new Error(`length ${ours.length} differs from the reference's ${ref.length}`);
  }
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(ours[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return { err, scale };
}

/** Largest per-value relative error (values under 1e-6 compared absolutely). */
export function vectorRelError(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) {
    throw new Error(`length ${ours.length} differs from the reference's ${ref.length}`);
  }
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    worst = Math.max(worst, Math.abs(ours[i] - ref[i]) / Math.max(Math.abs(ref[i]), 1e-6));
  }
  return worst;
}

/** Our features of librosa's own samples `ref.y`, compared with librosa's features. */
export function compareWithReference(
  extractor: FeatureExtractor,
  ref: ReferenceFeatures,
): ParityErrors {
  const f = extractor.extract(ref.y);
  const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    const { err, scale } = maxAbsError(a, b);
    return scale === 0 ? err : err / scale;
  };
  return {
    zcrAbs: maxAbsError(f.frames.zcr, ref.zcr).err,
    rmsRel: rel(f.frames.rms, ref.rms),
    melRel: rel(f.frames.mel, ref.mel),
    mfccAbs: maxAbsError(f.frames.mfcc, ref.mfcc).err,
    chromaAbs: maxAbsError(f.frames.chroma, ref.chroma).err,
    vectorRel: vectorRelError(f.vector, ref.vector162),
  };
}

/** The measures that exceed their tolerance (empty when all agree). */
export function parityFailures(e: ParityErrors): string[] {
  return (Object.keys(PARITY_TOLERANCES) as (keyof ParityErrors)[])
    .filter((k) => !(e[k] <= PARITY_TOLERANCES[k]))
    .map((k) => `${k} ${e[k].toExponential(2)} > ${PARITY_TOLERANCES[k]}`);
}
