/**
 * Per-speaker normalisation: each actor's features z-scored with that actor's own statistics,
 * fitted on the actor's original clips without their labels. Voices differ in loudness, pitch
 * and timbre far more than emotions move them; removing each speaker's own offset and spread
 * leaves more of what the emotion changes. Using a test speaker's recordings (never labels) is
 * declared in the run's protocol. Pure.
 */
import type { ClipRecord } from "../schema/corpus.ts";
import { applyScaler, fitScaler, type Scaler } from "./scaler.ts";
import { type Rng, shuffleInPlace } from "../util/random.ts";

/**
 * One scaler per actor, fitted on what `originalsOf` returns for the actor's clip indices (their
 * unaugmented feature rows, last axis `featureDim`).
 */
export function fitSpeakerScalers(
  clips: readonly ClipRecord[],
  actors: readonly number[],
  featureDim: number,
  originalsOf: (clipIndices: number[]) => Float32Array,
): Map<number, Scaler> {
  const scalers = new Map<number, Scaler>();
  for (const actor of new Set(actors)) {
    const own = clips.flatMap((c, i) => (c.actor === actor ? [i] : []));
    if (!own.length) throw new Error(`speaker normalisation: actor ${actor} has no clips`);
    scalers.set(actor, fitScaler(originalsOf(own), featureDim));
  }
  return scalers;
}

/** Rows (gathered in `rows` order) normalised with their own actor's scaler. */
export function applySpeakerScalers(
  scalers: ReadonlyMap<number, Scaler>,
  clips: readonly ClipRecord[],
  rows: readonly { clip: number }[],
  data: Float32Array,
): Float32Array {
  return applyRowScalers(
    rows.map((r) => {
      const actor = clips[r.clip].actor;
      const scaler = scalers.get(actor);
      if (!scaler) throw new Error(`speaker normalisation: no statistics for actor ${actor}`);
      return scaler;
    }),
    data,
  );
}

/** Row i of `data` z-scored with `scalers[i]` (rows of equal size, one scaler per row). */
export function applyRowScalers(scalers: readonly Scaler[], data: Float32Array): Float32Array {
  if (!scalers.length) return new Float32Array(0);
  const size = data.length / scalers.length;
  const out = new Float32Array(data.length);
  scalers.forEach((scaler, i) => {
    out.set(applyScaler(scaler, data.subarray(i * size, (i + 1) * size)), i * size);
  });
  return out;
}

/**
 * One scaler per distinct key, fitted on the rows of `data` that carry it (`keys[i]` names row
 * i's group: a voice, or one recipe row of a voice, e.g. `5/pitch@3`; undefined: no group).
 */
export function fitGroupScalers(
  keys: readonly (string | undefined)[],
  data: Float32Array,
  featureDim: number,
): Map<string, Scaler> {
  const size = keys.length ? data.length / keys.length : 0;
  const members = new Map<string, number[]>();
  keys.forEach((k, i) => {
    if (k !== undefined) members.set(k, [...(members.get(k) ?? []), i]);
  });
  const scalers = new Map<string, Scaler>();
  for (const [key, rows] of members) {
    const own = new Float32Array(rows.length * size);
    rows.forEach((r, j) => own.set(data.subarray(r * size, (r + 1) * size), j * size));
    scalers.set(key, fitScaler(own, featureDim));
  }
  return scalers;
}

/**
 * Online per-speaker normalisation of test rows (original clips, `data` in `rows` order): each
 * actor's clips are met one at a time in a seeded random order, and each is z-scored with the
 * running mean and spread of that actor's clips met so far, itself included. This is what a live
 * page can do: it never sees a voice's later recordings. The first clip of a voice is normalised
 * by its own statistics (over its frames, for sequence inputs).
 */
export function applyOnlineSpeakerNorm(
  clips: readonly ClipRecord[],
  rows: readonly { clip: number }[],
  data: Float32Array,
  featureDim: number,
  rng: Rng,
): Float32Array {
  if (!rows.length) return new Float32Array(0);
  const size = data.length / rows.length;
  const out = new Float32Array(data.length);
  const byActor = new Map<number, number[]>();
  rows.forEach((r, i) => {
    const actor = clips[r.clip].actor;
    byActor.set(actor, [...(byActor.get(actor) ?? []), i]);
  });
  for (const actor of [...byActor.keys()].sort((a, b) => a - b)) {
    const order = byActor.get(actor)!;
    shuffleInPlace(rng, order);
    const stats = new RunningStats(featureDim);
    for (const i of order) {
      const row = data.subarray(i * size, (i + 1) * size);
      stats.add(row);
      out.set(applyScaler(stats.scaler(), row), i * size);
    }
  }
  return out;
}

/**
 * Running per-feature mean and spread (population, like `fitScaler`), fed rows or frames as they
 * come. The live page keeps one for the voice it is hearing.
 */
export class RunningStats {
  readonly dim: number;
  #n = 0;
  #sum: Float64Array;
  #sumSq: Float64Array;

  constructor(dim: number) {
    this.dim = dim;
    this.#sum = new Float64Array(dim);
    this.#sumSq = new Float64Array(dim);
  }

  get count(): number {
    return this.#n;
  }

  /** Adds every `dim`-wide frame of `data`. */
  add(data: ArrayLike<number>): void {
    for (let i = 0; i + this.dim <= data.length; i += this.dim) {
      for (let d = 0; d < this.dim; d++) {
        const v = data[i + d];
        this.#sum[d] += v;
        this.#sumSq[d] += v * v;
      }
      this.#n++;
    }
  }

  /** Adds everything `other` has gathered (the same voice heard in another file). */
  merge(other: RunningStats): void {
    if (other.dim !== this.dim) throw new Error("running statistics: widths differ");
    const [sum, sumSq] = other.#sums();
    for (let d = 0; d < this.dim; d++) {
      this.#sum[d] += sum[d];
      this.#sumSq[d] += sumSq[d];
    }
    this.#n += other.#n;
  }

  #sums(): [Float64Array, Float64Array] {
    return [this.#sum, this.#sumSq];
  }

  scaler(): Scaler {
    if (!this.#n) throw new Error("running statistics: nothing added yet");
    const mean = Array.from(this.#sum, (s) => s / this.#n);
    const scale = Array.from(this.#sumSq, (s, d) => {
      const sd = Math.sqrt(Math.max(0, s / this.#n - mean[d] * mean[d]));
      return sd > 1e-6 ? sd : 1;
    });
    return { dim: this.dim, mean, scale, fittedOn: this.#n };
  }
}

/**
 * Each row z-scored per column over its own frames (rows of `featureDim` columns per frame):
 * what one clip says about itself, with nothing of any other recording of the voice. Only the
 * columns `[from, to)` when given; the others pass through.
 */
export function normalizeEachRow(
  data: Float32Array,
  rowCount: number,
  featureDim: number,
  columns: readonly [number, number] = [0, featureDim],
): Float32Array {
  if (!rowCount) return new Float32Array(0);
  const size = data.length / rowCount;
  const out = new Float32Array(data.length);
  for (let r = 0; r < rowCount; r++) {
    const row = data.subarray(r * size, (r + 1) * size);
    const s = fitScaler(row, featureDim);
    for (let d = 0; d < featureDim; d++) {
      if (d < columns[0] || d >= columns[1]) {
        s.mean[d] = 0;
        s.scale[d] = 1;
      }
    }
    out.set(applyScaler(s, row), r * size);
  }
  return out;
}
