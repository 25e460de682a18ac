/**
 * Feature rows: what the cache holds for each clip or augmented row, as one type. Every input a
 * model can read is a field here, so a new input is added in this file and in the extractor.
 * Row-major typed arrays, so rows move to workers and `.npy` files without copies. Pure.
 */
import type { ClipFeatures } from "./extract.ts";

export interface FeatureDims {
  /** Values of the clip vector (162 in the classic layout). */
  vector: number;
  /** Frames of every sequence (zero-padded past `validFrames`). */
  frames: number;
  logmel: number;
  mfccDelta: number;
  prosody: number;
}

export interface FeatureRows {
  count: number;
  dims: FeatureDims;
  /** count x dims.vector */
  vectors: Float32Array;
  /** count x frames x dims.logmel */
  logmel: Float32Array;
  /** count x frames x dims.mfccDelta */
  mfccDelta: Float32Array;
  /** count x frames x dims.prosody */
  prosody: Float32Array;
  /** Frames of each row that hold audio. */
  validFrames: Int32Array;
}

/**
 * The later windows of clips longer than one (`audio.windowHopS`): row w is a window of clip
 * `clip[w]`. Scored beside the clip's first window (its row in the feature set).
 */
export interface ClipWindows {
  clip: Int32Array;
  rows: FeatureRows;
}

/** The sequence inputs, with their per-frame width in `FeatureDims`. */
import { type SequenceName, SEQUENCES } from "../schema/inputs.ts";

export { type SequenceName, SEQUENCES };

/** The `.npy` file each field is cached in. */
export const ROW_FILES = {
  vectors: "vectors.npy",
  logmel: "seq_logmel.npy",
  mfccDelta: "seq_mfcc_delta.npy",
  prosody: "seq_prosody.npy",
  validFrames: "seq_valid.npy",
} as const;

export function allocateRows(count: number, dims: FeatureDims): FeatureRows {
  return {
    count,
    dims,
    vectors: new Float32Array(count * dims.vector),
    logmel: new Float32Array(count * dims.frames * dims.logmel),
    mfccDelta: new Float32Array(count * dims.frames * dims.mfccDelta),
    prosody: new Float32Array(count * dims.frames * dims.prosody),
    validFrames: new Int32Array(count),
  };
}

/** One row's features as the extractor and the workers hand them over. */
export interface RowFeatures {
  vector: Float32Array;
  logmel: Float32Array;
  mfccDelta: Float32Array;
  prosody: Float32Array;
  validFrames: number;
}

export function rowFeaturesOf(f: ClipFeatures): RowFeatures {
  return {
    vector: f.vector,
    logmel: f.sequence.logmel,
    mfccDelta: f.sequence.mfccDelta,
    prosody: f.sequence.prosody,
    validFrames: f.sequence.validFrames,
  };
}

/** The buffers a row's features can be transferred to another thread with. */
export function rowBuffers(r: RowFeatures): ArrayBuffer[] {
  return [r.vector.buffer, r.logmel.buffer, r.mfccDelta.buffer, r.prosody.buffer] as ArrayBuffer[];
}

export function setRow(rows: FeatureRows, i: number, r: RowFeatures): void {
  const { dims } = rows;
  rows.vectors.set(r.vector, i * dims.vector);
  rows.logmel.set(r.logmel, i * dims.frames * dims.logmel);
  rows.mfccDelta.set(r.mfccDelta, i * dims.frames * dims.mfccDelta);
  rows.prosody.set(r.prosody, i * dims.frames * dims.prosody);
  rows.validFrames[i] = r.validFrames;
}

/** Rows of several sets one after another (all with the same dims). */
export function concatRows(parts: readonly FeatureRows[], dims: FeatureDims): FeatureRows {
  for (const p of parts) {
    if (JSON.stringify(p.dims) !== JSON.stringify(dims)) {
      throw new Error(
        `feature rows: cannot join rows of shape ${JSON.stringify(p.dims)} to ${
          JSON.stringify(dims)
        }`,
      );
    }
  }
  const out = allocateRows(parts.reduce((a, p) => a + p.count, 0), dims);
  let at = 0;
  for (const p of parts) {
    out.vectors.set(p.vectors, at * dims.vector);
    out.logmel.set(p.logmel, at * dims.frames * dims.logmel);
    out.mfccDelta.set(p.mfccDelta, at * dims.frames * dims.mfccDelta);
    out.prosody.set(p.prosody, at * dims.frames * dims.prosody);
    out.validFrames.set(p.validFrames, at);
    at += p.count;
  }
  return out;
}

/** The rows at `indices`, in that order. */
export function selectRows(rows: FeatureRows, indices: ArrayLike<number>): FeatureRows {
  const { dims } = rows;
  const out = allocateRows(indices.length, dims);
  const v = dims.vector;
  const l = dims.frames * dims.logmel;
  const q = dims.frames * dims.mfccDelta;
  const z = dims.frames * dims.prosody;
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j];
    if (!(i >= 0 && i < rows.count)) throw new Error(`feature rows: no row ${i} of ${rows.count}`);
    out.vectors.set(rows.vectors.subarray(i * v, (i + 1) * v), j * v);
    out.logmel.set(rows.logmel.subarray(i * l, (i + 1) * l), j * l);
    out.mfccDelta.set(rows.mfccDelta.subarray(i * q, (i + 1) * q), j * q);
    out.prosody.set(rows.prosody.subarray(i * z, (i + 1) * z), j * z);
    out.validFrames[j] = rows.validFrames[i];
  }
  return out;
}

/** The frame sequence `name` of row `i` (a view, not a copy). */
export function sequenceOf(rows: FeatureRows, name: SequenceName, i: number): Float32Array {
  const size = rows.dims.frames * rows.dims[name];
  return rows[name].subarray(i * size, (i + 1) * size);
}
