/**
 * Standardisation (z-scores per feature), fitted on training rows only. Pure.
 * Sequences are scaled per feature dimension over all frames of all training rows.
 */
export interface Scaler {
  /** Features per row (the last axis). */
  dim: number;
  /** Mean per feature. */
  mean: number[];
  /** Standard deviation per feature; constant features get 1, as scikit-learn does. */
  scale: number[];
  /** Rows (or frames) it was fitted on. */
  fittedOn: number;
}

/** Fit on row-major data whose last axis has `dim` features. Accumulates in double precision. */
export function fitScaler(data: Float32Array, dim: number): Scaler {
  const n = data.length / dim;
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`scaler: no rows to fit (length ${data.length}, dim ${dim})`);
  }
  const mean = new Float64Array(dim);
  for (let i = 0; i < data.length; i += dim) {
    for (let d = 0; d < dim; d++) mean[d] += data[i + d];
  }
  for (let d = 0; d < dim; d++) mean[d] /= n;
  const sq = new Float64Array(dim);
  for (let i = 0; i < data.length; i += dim) {
    for (let d = 0; d < dim; d++) sq[d] += (data[i + d] - mean[d]) ** 2;
  }
  const scale = Array.from(sq, (s) => {
    const sd = Math.sqrt(s / n);
    return sd > 1e-12 ? sd : 1;
  });
  return { dim, mean: Array.from(mean), scale, fittedOn: n };
}

/** A new array with each feature standardised. */
export function applyScaler(s: Scaler, data: Float32Array): Float32Array {
  if (data.length % s.dim !== 0) {
    throw new Error(`scaler: data length ${data.length} is not a multiple of ${s.dim} features`);
  }
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i += s.dim) {
    for (let d = 0; d < s.dim; d++) out[i + d] = (data[i + d] - s.mean[d]) / s.scale[d];
  }
  return out;
}

export function parseScaler(json: unknown, source: string): Scaler {
  const s = json as Scaler;
  if (
    !s || typeof s.dim !== "number" || !Array.isArray(s.mean) || !Array.isArray(s.scale) ||
    s.mean.length !== s.dim || s.scale.length !== s.dim
  ) {
    throw new Error(`${source}: not a scaler (want {dim, mean[dim], scale[dim]})`);
  }
  // A zero, negative or non-finite entry would turn every prediction into NaN: a damaged file.
  const bad = s.scale.findIndex((v) => !(typeof v === "number" && Number.isFinite(v) && v > 0));
  if (bad >= 0) {
    throw new Error(
      `${source}: damaged scaler: scale[${bad}] is ${
        s.scale[bad]
      } (every scale must be a positive number); restore the run folder or train it again`,
    );
  }
  const badMean = s.mean.findIndex((v) => !(typeof v === "number" && Number.isFinite(v)));
  if (badMean >= 0) {
    throw new Error(`${source}: damaged scaler: mean[${badMean}] is ${s.mean[badMean]}`);
  }
  return s;
}
