/**
 * Seeded random numbers. Pure. Every random draw in the project comes from a generator made
 * here from an explicit seed, so reruns give identical numbers.
 */

export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
  /** Integer in [lo, hi). */
  int(lo: number, hi: number): number;
}

/** 32-bit string hash (FNV-1a), for deriving per-item seeds from names. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** sfc32, seeded through splitmix32: fast, 128-bit state, good statistical quality. */
export function createRng(seed: number | string): Rng {
  let s = typeof seed === "string" ? hashString(seed) : seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix(), b = splitmix(), c = splitmix(), d = splitmix();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) next();
  let spare: number | null = null;
  const uniform = () => next() / 4294967296;
  return {
    uniform,
    normal() {
      if (spare !== null) {
        const v = spare;
        spare = null;
        return v;
      }
      // Marsaglia's polar method: no sin/cos, one log per pair of normals.
      let u: number, v: number, q: number;
      do {
        u = 2 * uniform() - 1;
        v = 2 * uniform() - 1;
        q = u * u + v * v;
      } while (q >= 1 || q === 0);
      const f = Math.sqrt((-2 * Math.log(q)) / q);
      spare = v * f;
      return u * f;
    },
    int(lo, hi) {
      return lo + Math.floor(uniform() * (hi - lo));
    },
  };
}
