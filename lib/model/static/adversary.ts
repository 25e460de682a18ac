/**
 * A speaker adversary for the static trainer: a linear softmax head that reads a network's pooled
 * embedding and learns to tell the training speakers apart, while the gradient it sends back into
 * the network is reversed (Ganin and Lempitsky's gradient reversal). The network is thereby pushed
 * towards embeddings from which the speaker cannot be read, which is what a strict setting (one
 * clip of an unknown voice, nothing known about that voice) needs.
 *
 * The head exists only while training: it is not part of the tfjs model, so a trained network is
 * saved, loaded and run exactly as one trained without it. Pure: no tfjs, no Deno APIs.
 */
import { createRng } from "../../util/random.ts";
import { ADAM } from "./network.ts";

/**
 * DANN's ramp for the reversal strength: 0 at the start of training, `weight` at the end, so
 * the head can first learn something to be reversed.
 */
export function reversalStrength(weight: number, progress: number): number {
  const p = Math.min(1, Math.max(0, progress));
  return weight * (2 / (1 + Math.exp(-10 * p)) - 1);
}

/**
 * The head's learning rate over the network's: the embedding it reads moves every step, and a
 * head at the network's rate never caught up with it (it stayed at chance on twenty voices even
 * before the reversal grew), so it had nothing to reverse.
 */
export const HEAD_RATE_SCALE = 10;

export class SpeakerAdversary {
  /** Row-major [dims, speakers] weights, then the speakers' biases. */
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
  readonly #gKernel: Float32Array;
  readonly #gBias: Float32Array;
  readonly #m: Float32Array;
  readonly #v: Float32Array;
  readonly #probs: Float32Array;
  readonly #dLogits: Float32Array;
  /** The gradient sent back into the embedding, reversed and scaled (rows [0, batch)). */
  readonly embeddingGrad: Float32Array;
  #step = 0;

  constructor(
    readonly dims: number,
    readonly speakers: number,
    readonly maxBatch: number,
    seed: number,
  ) {
    if (speakers < 2) {
      throw new Error(`speaker adversary: needs 2 or more speakers (got ${speakers})`);
    }
    // Glorot-uniform, as the network's own dense layers start.
    const rng = createRng(seed);
    const limit = Math.sqrt(6 / (dims + speakers));
    this.kernel = Float32Array.from(
      { length: dims * speakers },
      () => (2 * rng.uniform() - 1) * limit,
    );
    this.bias = new Float32Array(speakers);
    this.#gKernel = new Float32Array(dims * speakers);
    this.#gBias = new Float32Array(speakers);
    this.#m = new Float32Array(dims * speakers + speakers);
    this.#v = new Float32Array(dims * speakers + speakers);
    this.#probs = new Float32Array(maxBatch * speakers);
    this.#dLogits = new Float32Array(maxBatch * speakers);
    this.embeddingGrad = new Float32Array(maxBatch * dims);
  }

  /**
   * One step on a batch's embeddings (`embedding` rows [0, batch), `dims` each) and their
   * speakers: the head's cross-entropy and its gradient, `embeddingGrad` set to minus `strength`
   * times the gradient of that loss with respect to the embedding, and one Adam step of the head
   * at `lr` x `HEAD_RATE_SCALE`. Returns the head's mean loss and how many rows it named the right speaker for.
   */
  step(
    embedding: Float32Array,
    speakerOfRow: ArrayLike<number>,
    batch: number,
    strength: number,
    lr: number,
  ): { loss: number; hits: number } {
    const { dims, speakers } = this;
    if (batch > this.maxBatch) {
      throw new Error(`speaker adversary: batch of ${batch} (at most ${this.maxBatch})`);
    }
    const p = this.#probs;
    const d = this.#dLogits;
    let loss = 0;
    let hits = 0;
    for (let r = 0; r < batch; r++) {
      const e = r * dims;
      const o = r * speakers;
      for (let s = 0; s < speakers; s++) p[o + s] = this.bias[s];
      for (let i = 0; i < dims; i++) {
        const x = embedding[e + i];
        if (x === 0) continue;
        const w = i * speakers;
        for (let s = 0; s < speakers; s++) p[o + s] += x * this.kernel[w + s];
      }
      let top = 0;
      for (let s = 1; s < speakers; s++) if (p[o + s] > p[o + top]) top = s;
      const max = p[o + top];
      let sum = 0;
      for (let s = 0; s < speakers; s++) sum += p[o + s] = Math.exp(p[o + s] - max);
      const target = speakerOfRow[r];
      if (!(target >= 0 && target < speakers)) {
        throw new Error(`speaker adversary: row ${r} names speaker ${target} of ${speakers}`);
      }
      for (let s = 0; s < speakers; s++) {
        p[o + s] /= sum;
        d[o + s] = (p[o + s] - (s === target ? 1 : 0)) / batch;
      }
      loss -= Math.log(Math.max(p[o + target], 1e-7));
      if (top === target) hits++;
    }
    // The reversed gradient into the embedding, with the head's weights as they were forward.
    const g = this.embeddingGrad;
    for (let r = 0; r < batch; r++) {
      const o = r * speakers;
      for (let i = 0; i < dims; i++) {
        const w = i * speakers;
        let acc = 0;
        for (let s = 0; s < speakers; s++) acc += d[o + s] * this.kernel[w + s];
        g[r * dims + i] = -strength * acc;
      }
    }
    this.#gKernel.fill(0);
    this.#gBias.fill(0);
    for (let r = 0; r < batch; r++) {
      const o = r * speakers;
      for (let s = 0; s < speakers; s++) this.#gBias[s] += d[o + s];
      for (let i = 0; i < dims; i++) {
        const x = embedding[r * dims + i];
        if (x === 0) continue;
        const w = i * speakers;
        for (let s = 0; s < speakers; s++) this.#gKernel[w + s] += x * d[o + s];
      }
    }
    this.#adam(lr * HEAD_RATE_SCALE);
    return { loss: loss / batch, hits };
  }

  #adam(lr: number): void {
    const { beta1, beta2, epsilon } = ADAM;
    this.#step++;
    const c1 = 1 - beta1 ** this.#step;
    const c2 = 1 - beta2 ** this.#step;
    const n = this.kernel.length;
    const update = (w: Float32Array, g: Float32Array, at: number) => {
      for (let j = 0; j < w.length; j++) {
        const m = this.#m[at + j] = beta1 * this.#m[at + j] + (1 - beta1) * g[j];
        const v = this.#v[at + j] = beta2 * this.#v[at + j] + (1 - beta2) * g[j] * g[j];
        w[j] -= (lr * (m / c1)) / (Math.sqrt(v / c2) + epsilon);
      }
    };
    update(this.kernel, this.#gKernel, 0);
    update(this.bias, this.#gBias, n);
  }
}
