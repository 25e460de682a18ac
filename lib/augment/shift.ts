/** Time shifts. Pure. */
import type { Rng } from "../util/random.ts";

/** `np.roll(y, n)`: samples pushed off one end wrap around to the other. */
export function roll(y: Float32Array, n: number): Float32Array {
  const len = y.length;
  const out = new Float32Array(len);
  if (len === 0) return out;
  const k = ((n % len) + len) % len;
  out.set(y.subarray(len - k), 0);
  out.set(y.subarray(0, len - k), k);
  return out;
}

/** Shift without wrap: speech moved off the end is dropped and the gap is silence. */
export function shiftWithSilence(y: Float32Array, n: number): Float32Array {
  const out = new Float32Array(y.length);
  if (n >= 0) out.set(y.subarray(0, Math.max(0, y.length - n)), Math.min(n, y.length));
  else out.set(y.subarray(Math.min(-n, y.length)), 0);
  return out;
}

/** The recipe's draw: `int(U(-5, 5) * 1000)` samples, i.e. up to +-5000 (with the default). */
export function drawShift(rng: Rng, maxSamples = 5000): number {
  return Math.trunc((rng.uniform() * 2 - 1) * maxSamples);
}
