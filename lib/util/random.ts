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

/**
 * sfc32 (Chris Doty-Humphrey's small fast counting generator), seeded through splitmix32: fast,
 * 128-bit state, good statistical quality. State is kept as int32 fields so V8 keeps it unboxed.
 */
class Sfc32 implements Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spare = 0;
  #hasSpare = false;

  constructor(seed: number) {
    let s = seed | 0;
    const splitmix = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.#a = splitmix();
    this.#b = splitmix();
    this.#c = splitmix();
    this.#d = splitmix();
    for (let i = 0; i < 12; i++) this.#next();
  }

  #next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t;
  }

  uniform(): number {
    return (this.#next() >>> 0) / 4294967296;
  }

  normal(): number {
    if (this.#hasSpare) {
      this.#hasSpare = false;
      return this.#spare;
    }
    // Marsaglia's polar method: no sin/cos, one log per pair of normals.
    let u: number, v: number, q: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      q = u * u + v * v;
    } while (q >= 1 || q === 0);
    const f = Math.sqrt((-2 * Math.log(q)) / q);
    this.#spare = v * f;
    this.#hasSpare = true;
    return u * f;
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo));
  }
}

export function createRng(seed: number | string): Rng {
  return new Sfc32(typeof seed === "string" ? hashString(seed) : seed);
}

/** Fisher-Yates shuffle in place, drawing from `rng` (same draws, same order, every run). */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(
  rng: Rng,
  items: T,
): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}
