/**
 * The newest seconds of a stream of audio chunks, in a fixed ring: the microphone hands over
 * small blocks, the classifier asks for the last 2.5 s. Pure.
 */
export class AudioRing {
  readonly capacity: number;
  #data: Float32Array;
  #write = 0;
  #filled = 0;

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new Error(`audio ring: capacity must be >= 1 (got ${capacity})`);
    this.capacity = Math.floor(capacity);
    this.#data = new Float32Array(this.capacity);
  }

  /** Samples held (up to capacity). */
  get length(): number {
    return this.#filled;
  }

  push(chunk: ArrayLike<number>): void {
    for (let i = 0; i < chunk.length; i++) {
      this.#data[this.#write] = chunk[i];
      this.#write = (this.#write + 1) % this.capacity;
    }
    this.#filled = Math.min(this.capacity, this.#filled + chunk.length);
  }

  /** The newest `n` samples (fewer when fewer are held), oldest first. */
  latest(n: number): Float32Array {
    const count = Math.min(Math.max(0, Math.floor(n)), this.#filled);
    const out = new Float32Array(count);
    const start = (this.#write - count + this.capacity) % this.capacity;
    const first = Math.min(count, this.capacity - start);
    out.set(this.#data.subarray(start, start + first), 0);
    out.set(this.#data.subarray(0, count - first), first);
    return out;
  }

  clear(): void {
    this.#write = 0;
    this.#filled = 0;
  }
}
