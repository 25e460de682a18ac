/**
 * Augmentation of training batches, on already standardised rows: SpecAugment-style masks,
 * mixup, voice swaps and class weights for the loss. Pure (no Deno APIs, no tfjs): every draw
 * comes from the generator passed in, so runs repeat exactly.
 */
import type { Rng } from "../util/random.ts";
import { fitScaler, type Scaler } from "../normalise/scaler.ts";

export interface SpecAugmentConfig {
  timeMasks: number;
  timeWidth: number;
  freqMasks: number;
  freqWidth: number;
}

/**
 * Zeroes (the training mean, after standardisation) random spans of frames and of feature bands
 * in each of the `n` rows of `x` ([n, frames, dims], row-major), in place. Widths are drawn
 * uniformly from 0 to the maximum, as in Park et al. (2019).
 */
export function specAugmentRows(
  x: Float32Array,
  n: number,
  frames: number,
  dims: number,
  cfg: SpecAugmentConfig,
  rng: Rng,
): void {
  const size = frames * dims;
  for (let r = 0; r < n; r++) {
    const base = r * size;
    for (let m = 0; m < cfg.timeMasks; m++) {
      const width = rng.int(0, Math.min(cfg.timeWidth, frames) + 1);
      const start = rng.int(0, frames - width + 1);
      x.fill(0, base + start * dims, base + (start + width) * dims);
    }
    for (let m = 0; m < cfg.freqMasks; m++) {
      const width = rng.int(0, Math.min(cfg.freqWidth, dims) + 1);
      const start = rng.int(0, dims - width + 1);
      for (let t = 0; t < frames; t++) {
        const at = base + t * dims + start;
        x.fill(0, at, at + width);
      }
    }
  }
}

/** Gamma(shape, 1) by Marsaglia and Tsang's method (shape < 1 through the boost). */
function sampleGamma(shape: number, rng: Rng): number {
  if (shape < 1) return sampleGamma(shape + 1, rng) * Math.pow(rng.uniform() || 1e-12, 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = rng.normal();
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = rng.uniform();
    if (Math.log(u || 1e-12) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function sampleBeta(alpha: number, rng: Rng): number {
  const a = sampleGamma(alpha, rng);
  const b = sampleGamma(alpha, rng);
  return a + b > 0 ? a / (a + b) : 0.5;
}

/**
 * mixup (Zhang et al., 2018): each row is blended with a randomly chosen partner of the same
 * batch, inputs and one-hot targets alike, with one weight lambda ~ Beta(alpha, alpha) per batch
 * (kept >= 0.5 so each row stays mostly itself). In place; returns lambda.
 */
export function mixupRows(
  x: Float32Array,
  y: Float32Array,
  n: number,
  classes: number,
  alpha: number,
  rng: Rng,
): number {
  if (alpha <= 0 || n < 2) return 1;
  const drawn = sampleBeta(alpha, rng);
  const lambda = Math.max(drawn, 1 - drawn);
  const size = x.length / n;
  const partner = Array.from({ length: n }, () => rng.int(0, n));
  const x0 = x.slice();
  const y0 = y.slice();
  for (let i = 0; i < n; i++) {
    const j = partner[i];
    for (let k = 0; k < size; k++) {
      x[i * size + k] = lambda * x0[i * size + k] + (1 - lambda) * x0[j * size + k];
    }
    for (let c = 0; c < classes; c++) {
      y[i * classes + c] = lambda * y0[i * classes + c] + (1 - lambda) * y0[j * classes + c];
    }
  }
  return lambda;
}

/**
 * Keras-style class weights, n / (classes * count): a class with half the rows weighs twice as
 * much, and a balanced set gets all ones. A class with no rows gets weight 0.
 */
export function classWeights(labels: Int32Array, classes: number): Float32Array {
  const counts = new Float64Array(classes);
  for (const l of labels) counts[l]++;
  return Float32Array.from(counts, (c) => (c > 0 ? labels.length / (classes * c) : 0));
}

/**
 * Label smoothing (Szegedy et al., 2016) on one-hot (or mixed) targets, in place: each row
 * becomes (1 - epsilon) x itself + epsilon / classes, so the network is not pushed to ever more
 * confident outputs on the voices it trains on.
 */
export function smoothLabels(y: Float32Array, classes: number, epsilon: number): void {
  if (y.length % classes !== 0) throw new Error("smoothLabels: targets are not rows of classes");
  const floor = epsilon / classes;
  for (let i = 0; i < y.length; i++) y[i] = y[i] * (1 - epsilon) + floor;
}

/**
 * Every speaker's per-column statistics over all of its rows of `x` ([n, frames, dims],
 * row-major; `speakers[r]` numbered from 0 to `count - 1`), as the speaker scalers fit them.
 */
export function voiceColumnStats(
  x: Float32Array,
  speakers: Int32Array,
  count: number,
  frames: number,
  dims: number,
): Scaler[] {
  const size = frames * dims;
  const rowsOf = Array.from({ length: count }, () => [] as number[]);
  speakers.forEach((s, r) => rowsOf[s].push(r));
  return rowsOf.map((rows, s) => {
    if (!rows.length) throw new Error(`voice statistics: speaker ${s} has no training rows`);
    const own = new Float32Array(rows.length * size);
    rows.forEach((r, i) => own.set(x.subarray(r * size, (r + 1) * size), i * size));
    return fitScaler(own, dims);
  });
}

/**
 * Gives each of the `n` rows of `x` (a batch; `speakers[i]` its speaker) another training
 * speaker's voice with probability `share`, in place: its columns standardised with its own
 * speaker's statistics and put back with those of a speaker drawn uniformly from the others
 * (`train.voiceSwap`). A first-order voice change in the features' space: each column's level
 * and spread move, the row's course over time and what differs between its emotions stay.
 */
export function voiceSwapRows(
  x: Float32Array,
  speakers: Int32Array,
  n: number,
  frames: number,
  dims: number,
  stats: readonly Scaler[],
  share: number,
  rng: Rng,
): void {
  const count = stats.length;
  if (share <= 0 || count < 2) return;
  const size = frames * dims;
  for (let r = 0; r < n; r++) {
    if (rng.uniform() >= share) continue;
    const from = speakers[r];
    // Uniform over the other speakers.
    let to = rng.int(0, count - 1);
    if (to >= from) to++;
    const { mean: m0, scale: s0 } = stats[from];
    const { mean: m1, scale: s1 } = stats[to];
    for (let i = r * size, c = 0; i < (r + 1) * size; i++, c = c + 1 === dims ? 0 : c + 1) {
      x[i] = ((x[i] - m0[c]) / s0[c]) * s1[c] + m1[c];
    }
  }
}
