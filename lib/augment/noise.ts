/** Additive noise. Pure. */
import type { Rng } from "../util/random.ts";

/**
 * The classic recipe's white noise: `y + 0.035 * U(0,1) * max(y) * N(0,1)`. Its level follows
 * the clip's largest sample (not its power), so the SNR it gives varies from clip to clip; note
 * `max(y)`, not `max(|y|)`, as in the recipe.
 */
export function addWhiteNoiseClassic(y: Float32Array, rng: Rng, factor = 0.035): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < y.length; i++) if (y[i] > max) max = y[i];
  const amp = factor * rng.uniform() * max;
  const out = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = y[i] + amp * rng.normal();
  return out;
}

/**
 * Gaussian white noise scaled so that signal power / noise power is exactly `snrDb` over the
 * clip: the better-behaved option, since every clip gets the same degradation.
 */
export function addNoiseAtSnr(y: Float32Array, snrDb: number, rng: Rng): Float32Array {
  const noise = new Float64Array(y.length);
  let pSignal = 0;
  let pNoise = 0;
  for (let i = 0; i < y.length; i++) {
    noise[i] = rng.normal();
    pSignal += y[i] * y[i];
    pNoise += noise[i] * noise[i];
  }
  const out = new Float32Array(y.length);
  if (pSignal === 0 || pNoise === 0) {
    out.set(y);
    return out;
  }
  const scale = Math.sqrt(pSignal / pNoise / 10 ** (snrDb / 10));
  for (let i = 0; i < y.length; i++) out[i] = y[i] + scale * noise[i];
  return out;
}

/** Measured SNR of `noisy` against the clean `y`, in dB. */
export function snrDb(y: ArrayLike<number>, noisy: ArrayLike<number>): number {
  let ps = 0;
  let pn = 0;
  for (let i = 0; i < y.length; i++) {
    ps += y[i] * y[i];
    pn += (noisy[i] - y[i]) ** 2;
  }
  return 10 * Math.log10(ps / pn);
}
