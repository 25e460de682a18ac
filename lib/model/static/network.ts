/**
 * A network of the static trainer: a compiled plan (`plan.ts`) with every activation, gradient,
 * scratch and optimizer buffer allocated once for the largest batch, and a training step that is
 * a fixed sequence of kernels (`kernels.ts`) and matrix products. Pure: no tfjs, no Deno APIs;
 * the products go through the injected `Gemm` (OpenBLAS, the WebAssembly kernel, or either split
 * across two threads by `split_gemm.ts`, which changes only the time).
 *
 * Over 400 lines on purpose: the forward pass, the backward pass and the optimizer step of one
 * network read top to bottom here, in the order they run.
 */
import type { Gemm } from "../gemm.ts";
import { createRng } from "../../util/random.ts";
import {
  adamStep,
  addBiasRelu,
  addColumnSums,
  crossEntropyBackward,
  dropoutForward,
  flipKernel,
  im2col,
  maxPoolBackward,
  maxPoolForward,
  reluBackward,
  softmaxRows,
  timePoolBackward,
  timePoolForward,
} from "./kernels.ts";
import type { StaticOp, StaticPlan, WeightSlot } from "./plan.ts";
import {
  batchNormBackward,
  batchNormForward,
  batchNormInference,
  type BatchNormPasses,
  type BatchNormScratch,
  jsBatchNormPasses,
} from "./batch_norm.ts";
import { createTrainArena } from "./train_arena.ts";
import { squeezeBackward, squeezeForward, type SqueezeState } from "./squeeze.ts";

/** Per-op buffers beyond its output and output gradient. */
interface OpState {
  cols?: Float32Array;
  flipped?: Float32Array;
  bn?: BatchNormScratch;
  arg?: Int32Array;
  weights?: Float32Array;
  scratch?: Float32Array;
  mask?: Float32Array;
  squeeze?: SqueezeState & { dGate: Float64Array; dHidden: Float64Array };
}

/** Adam's constants as tfjs's defaults have them (epsilon: the float32 backend's 1e-7). */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

export class StaticNetwork {
  /** All weights, laid out as `plan.slots` (trainable first, then moving statistics). */
  readonly weights: Float32Array;
  /** Gradients of the trainable weights, from the last `backward`. */
  readonly grads: Float32Array;
  /** The input batch: the caller fills rows [0, batch) before `forward`. */
  readonly input: Float32Array;
  /** The target batch (probabilities per class) for `lossBackward`. */
  readonly target: Float32Array;
  readonly #acts: Float32Array[];
  readonly #dActs: Float32Array[];
  readonly #state: OpState[];
  readonly #m: Float32Array;
  readonly #v: Float32Array;
  readonly #sumA: Float64Array;
  readonly #bnPasses: BatchNormPasses;
  readonly #maxPool: typeof maxPoolForward;
  readonly #dyCols: Float32Array;
  readonly #views = new Map<WeightSlot, { w: Float32Array; g: Float32Array }>();
  #accBeta1 = Math.fround(ADAM.beta1);
  #accBeta2 = Math.fround(ADAM.beta2);
  #batch = 0;
  /** The products' GEMM: the one given, or its twin working in place on this network's arena. */
  readonly gemm: Gemm;

  constructor(
    readonly plan: StaticPlan,
    readonly maxBatch: number,
    gemm: Gemm,
    initial: Float32Array,
  ) {
    if (initial.length !== plan.totalSize) {
      throw new Error(
        `static network: ${initial.length} initial weights, ${plan.totalSize} wanted`,
      );
    }
    // Every operand of a product lives in one arena: with the WebAssembly GEMM that is the
    // kernel's own memory, so no product copies its operands in or out.
    const convs = plan.ops.flatMap((op, i) => (op.kind === "conv" ? [{ op, i }] : []));
    const denses = plan.ops.flatMap((op) => (op.kind === "dense" ? [op] : []));
    const dyColsSize = Math.max(
      0,
      ...convs.filter((c) => c.i > 0).map((c) => maxBatch * c.op.length * c.op.width * c.op.cout),
    );
    const bnChannels = plan.ops.flatMap((op) => (op.kind === "batchNorm" ? [op.channels] : []));
    const sizes = [
      // Six scratch vectors per batch norm, each taken (and aligned) on its own.
      ...bnChannels.flatMap((c) => Array<number>(6).fill(c)),
      2 * Math.max(0, ...bnChannels),
      2 * Math.max(0, ...bnChannels),
      plan.totalSize,
      plan.trainableSize,
      maxBatch * plan.inputSize,
      ...plan.outSizes.map((s) => maxBatch * s),
      ...plan.outSizes.map((s) => maxBatch * s),
      ...convs.flatMap((
        { op },
      ) => [maxBatch * op.length * op.width * op.cin, op.width * op.cin * op.cout]),
      dyColsSize,
      ...plan.ops.flatMap((op) =>
        op.kind === "maxPool" ? [maxBatch * op.outLength * op.channels] : []
      ),
    ];
    const total = sizes.reduce((a, b) => a + Math.ceil((b + 16) / 16) * 16, 0);
    // Room for the split GEMM's second partial product (the weight gradients), and every
    // product's column count.
    const staging = Math.max(
      1,
      ...convs.map(({ op }) => op.width * op.cin * op.cout),
      ...denses.map((op) => op.inputs * op.units),
    );
    const widest = Math.max(
      ...convs.flatMap(({ op }) => [op.cin, op.cout]),
      ...denses.flatMap((op) => [op.inputs, op.units]),
    );
    // The WebAssembly GEMM brings its own arena; native BLAS (or the JS GEMM) reads any memory,
    // and an arena of the train kernel still gives the batch-norm passes in SIMD.
    const resident = gemm.withArena?.(total, staging, widest) ??
      (gemm.withArena ? null : createTrainArena(total, 1, 8));
    this.gemm = gemm.withArena && resident ? resident.gemm : gemm;
    const arena = resident?.arena ?? new Float32Array(total);
    this.#bnPasses = resident?.batchNorm?.(jsBatchNormPasses) ?? jsBatchNormPasses;
    this.#maxPool = resident?.maxPool?.(maxPoolForward) ?? maxPoolForward;
    let at = 0;
    // 64-byte aligned views, in the order of `sizes`.
    const take = (n: number) => {
      if (at + n > arena.length) {
        throw new Error(`static network: arena of ${arena.length} floats too small (layout bug)`);
      }
      const view = arena.subarray(at, at + n);
      at += Math.ceil((n + 16) / 16) * 16;
      return view;
    };
    const bnScratch = bnChannels.map((c) => Array.from({ length: 6 }, () => take(c)));
    const widestBn = Math.max(0, ...bnChannels);
    const f64 = () => {
      const v = take(2 * widestBn);
      return new Float64Array(v.buffer, v.byteOffset, widestBn);
    };
    const sumA = f64();
    const sumB = f64();
    this.weights = take(plan.totalSize);
    this.weights.set(initial);
    this.grads = take(plan.trainableSize);
    this.input = take(maxBatch * plan.inputSize);
    this.#acts = plan.outSizes.map((s) => take(maxBatch * s));
    this.#dActs = plan.outSizes.map((s) => take(maxBatch * s));
    const convBuffers = new Map(
      convs.map(({ op, i }) => [i, {
        cols: take(maxBatch * op.length * op.width * op.cin),
        flipped: take(op.width * op.cin * op.cout),
      }]),
    );
    this.#dyCols = take(dyColsSize);
    // Max pooling's indices live in the arena too, for the SIMD kernel to write.
    const poolArgs = new Map(
      plan.ops.flatMap((op, i) => {
        if (op.kind !== "maxPool") return [];
        const v = take(maxBatch * op.outLength * op.channels);
        return [[i, new Int32Array(v.buffer, v.byteOffset, v.length)] as const];
      }),
    );
    this.#m = new Float32Array(plan.trainableSize);
    this.#v = new Float32Array(plan.trainableSize);
    this.target = new Float32Array(maxBatch * plan.classes);
    let channels = 1;
    let bnIndex = 0;
    this.#state = plan.ops.map((op, i): OpState => {
      switch (op.kind) {
        case "conv":
          channels = Math.max(channels, op.cout);
          return convBuffers.get(i)!;
        case "batchNorm": {
          channels = Math.max(channels, op.channels);
          const [mean, variance, rstd, scale, shift, k] = bnScratch[bnIndex++];
          return { bn: { sumA, sumB, mean, variance, rstd, scale, shift, k } };
        }
        case "maxPool":
          return { arg: poolArgs.get(i)! };
        case "timePool":
          return {
            arg: new Int32Array(maxBatch * op.channels),
            weights: new Float32Array(maxBatch * op.length),
            // Attention's per-frame sums, or std's channel means and spreads.
            scratch: new Float32Array(Math.max(op.length, 2 * op.channels)),
          };
        case "dropout":
          return { mask: new Float32Array(maxBatch * op.size) };
        case "squeeze":
          return {
            squeeze: {
              means: new Float32Array(maxBatch * op.channels),
              hidden: new Float32Array(maxBatch * op.hidden),
              gates: new Float32Array(maxBatch * op.channels),
              dGate: new Float64Array(op.channels),
              dHidden: new Float64Array(op.hidden),
            },
          };
        case "dense":
          channels = Math.max(channels, op.units);
          return {};
        default:
          return {};
      }
    });
    this.#sumA = new Float64Array(channels);
    for (const slot of plan.slots) {
      this.#views.set(slot, {
        w: this.weights.subarray(slot.offset, slot.offset + slot.size),
        g: slot.trainable
          ? this.grads.subarray(slot.offset, slot.offset + slot.size)
          : new Float32Array(0),
      });
    }
  }

  #squeezeWeights(
    op: Extract<StaticOp, { kind: "squeeze" }>,
    view: (slot: WeightSlot) => Float32Array,
  ) {
    return { w1: view(op.w1), b1: view(op.b1), w2: view(op.w2), b2: view(op.b2) };
  }

  #w(slot: WeightSlot): Float32Array {
    return this.#views.get(slot)!.w;
  }

  #g(slot: WeightSlot): Float32Array {
    return this.#views.get(slot)!.g;
  }

  /** Class probabilities of the last forward pass, rows [0, batch). */
  get probabilities(): Float32Array {
    return this.#acts[this.#acts.length - 1].subarray(0, this.#batch * this.plan.classes);
  }

  /**
   * The forward pass over input rows [0, batch). Training: batch statistics (and the moving
   * averages updated), dropout masks drawn from `dropoutSeeds` (one per dropout op, in order).
   */
  forward(batch: number, training: boolean, dropoutSeeds: readonly number[] = []): Float32Array {
    if (batch > this.maxBatch || batch < 1) {
      throw new Error(`static network: batch of ${batch} (at most ${this.maxBatch})`);
    }
    this.#batch = batch;
    const { ops } = this.plan;
    let inp = this.input;
    let dropout = 0;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      const out = this.#acts[i];
      const st = this.#state[i];
      switch (op.kind) {
        case "conv": {
          const rows = batch * op.length;
          im2col(inp, batch, op.length, op.cin, op.width, op.padLeft, st.cols!, op.dilation);
          this.gemm.sgemm(
            false,
            false,
            rows,
            op.cout,
            op.width * op.cin,
            st.cols!,
            this.#w(op.kernel),
            out,
          );
          addBiasRelu(out, rows, op.cout, op.bias && this.weights, op.bias?.offset ?? 0, op.relu);
          break;
        }
        case "batchNorm":
          this.#batchNorm(op, st, inp, out, batch, training);
          break;
        case "relu": {
          const n = batch * op.size;
          for (let j = 0; j < n; j++) out[j] = inp[j] > 0 ? inp[j] : 0;
          break;
        }
        case "maxPool":
          this.#maxPool(
            inp,
            batch,
            op.length,
            op.channels,
            op.pool,
            op.stride,
            op.padLeft,
            op.outLength,
            out,
            st.arg!,
          );
          break;
        case "timePool":
          timePoolForward(
            inp,
            batch,
            op.length,
            op.channels,
            op.modes,
            this.weights,
            op.attention?.offset ?? 0,
            out,
            st.arg!,
            st.weights!,
          );
          break;
        case "squeeze":
          squeezeForward(
            inp,
            batch,
            op.length,
            op.channels,
            op.hidden,
            this.#squeezeWeights(op, (s) => this.#w(s)),
            st.squeeze!,
            out,
          );
          break;
        case "dropout": {
          const n = batch * op.size;
          if (training && op.rate > 0) {
            const seed = dropoutSeeds[dropout++];
            if (seed === undefined) throw new Error("static network: a dropout seed is missing");
            const rng = createRng(seed);
            dropoutForward(inp, n, op.rate, () => rng.uniform(), st.mask!, out);
          } else out.set(inp.subarray(0, n));
          break;
        }
        case "dense": {
          this.gemm.sgemm(false, false, batch, op.units, op.inputs, inp, this.#w(op.kernel), out);
          addBiasRelu(
            out,
            batch,
            op.units,
            op.bias && this.weights,
            op.bias?.offset ?? 0,
            op.activation === "relu",
          );
          if (op.activation === "softmax") softmaxRows(out, batch, op.units);
          break;
        }
      }
      inp = out;
    }
    return this.probabilities;
  }

  #batchNorm(
    op: Extract<StaticOp, { kind: "batchNorm" }>,
    st: OpState,
    x: Float32Array,
    y: Float32Array,
    batch: number,
    training: boolean,
  ): void {
    const count = batch * op.rows;
    const w = this.weights;
    if (!training) {
      batchNormInference(
        x,
        count,
        op.channels,
        w,
        op.gamma.offset,
        op.beta.offset,
        op.movingMean.offset,
        op.movingVariance.offset,
        op.epsilon,
        op.relu,
        y,
      );
      return;
    }
    const bn = st.bn!;
    batchNormForward(
      this.#bnPasses,
      x,
      count,
      op.channels,
      w,
      op.gamma.offset,
      w,
      op.beta.offset,
      op.epsilon,
      op.relu,
      y,
      bn,
    );
    // Keras's moving averages, in float32 steps as tfjs's ops take them:
    // m <- m - (m - batch) * (1 - momentum).
    const decay = Math.fround(1 - op.momentum);
    for (
      const [at, batchStat] of [[op.movingMean.offset, bn.mean], [
        op.movingVariance.offset,
        bn.variance,
      ]] as const
    ) {
      for (let c = 0; c < op.channels; c++) {
        const old = w[at + c];
        w[at + c] = old - Math.fround(Math.fround(old - batchStat[c]) * decay);
      }
    }
  }

  /**
   * Cross-entropy of the last forward pass against `target` rows [0, batch) (weighted by class
   * when `classWeights` is given); leaves the gradient for `backward`. Returns the mean loss and
   * the rows predicted right.
   */
  lossBackward(classWeights: Float32Array | null = null): { loss: number; hits: number } {
    const last = this.plan.ops.length - 1;
    return crossEntropyBackward(
      this.#acts[last],
      this.target,
      this.#batch,
      this.plan.classes,
      classWeights,
      this.#dActs[last],
    );
  }

  /**
   * Op `index`'s output from the last forward pass, rows [0, batch) (e.g. the pooled embedding
   * a training-only head reads).
   */
  activation(index: number): Float32Array {
    return this.#acts[index].subarray(0, this.#batch * this.plan.outSizes[index]);
  }

  /**
   * Gradients of every trainable weight for the last forward pass and `lossBackward`; `extra`
   * adds a gradient of some other loss with respect to op `extra.at`'s output (a head outside
   * the plan) before the ops beneath it are differentiated.
   */
  backward(extra?: { at: number; grad: Float32Array }): void {
    const { ops } = this.plan;
    const batch = this.#batch;
    const g = this.grads;
    for (let i = ops.length - 1; i >= 0; i--) {
      const op = ops[i];
      const st = this.#state[i];
      const inp = i > 0 ? this.#acts[i - 1] : this.input;
      const out = this.#acts[i];
      const dout = this.#dActs[i];
      const din = i > 0 ? this.#dActs[i - 1] : null;
      if (extra?.at === i) {
        const n = batch * this.plan.outSizes[i];
        for (let j = 0; j < n; j++) dout[j] += extra.grad[j];
      }
      switch (op.kind) {
        case "conv": {
          const rows = batch * op.length;
          if (op.relu) reluBackward(out, dout, rows * op.cout);
          const kw = op.width * op.cin;
          this.gemm.sgemm(true, false, kw, op.cout, rows, st.cols!, dout, this.#g(op.kernel));
          if (op.bias) {
            g.fill(0, op.bias.offset, op.bias.offset + op.bias.size);
            addColumnSums(dout, rows, op.cout, g, op.bias.offset, this.#sumA);
          }
          if (din) {
            // dx is the convolution of dy (padded on the other side) with the flipped kernel,
            // its taps as far apart as the forward pass's.
            flipKernel(this.#w(op.kernel), op.width, op.cin, op.cout, st.flipped!);
            im2col(
              dout,
              batch,
              op.length,
              op.cout,
              op.width,
              (op.width - 1) * op.dilation - op.padLeft,
              this.#dyCols,
              op.dilation,
            );
            this.gemm.sgemm(
              false,
              false,
              rows,
              op.cin,
              op.width * op.cout,
              this.#dyCols,
              st.flipped!,
              din,
            );
          }
          break;
        }
        case "batchNorm": {
          const count = batch * op.rows;
          g.fill(0, op.gamma.offset, op.gamma.offset + op.channels);
          g.fill(0, op.beta.offset, op.beta.offset + op.channels);
          batchNormBackward(
            this.#bnPasses,
            inp,
            op.relu ? out : null,
            dout,
            count,
            op.channels,
            this.weights,
            op.gamma.offset,
            g,
            op.gamma.offset,
            op.beta.offset,
            din ?? this.#dyCols,
            st.bn!,
          );
          break;
        }
        case "relu":
          if (din) {
            const n = batch * op.size;
            din.set(dout.subarray(0, n));
            reluBackward(out, din, n);
          }
          break;
        case "maxPool":
          if (din) {
            maxPoolBackward(
              dout,
              st.arg!,
              batch * op.outLength * op.channels,
              din,
              batch * op.length * op.channels,
            );
          }
          break;
        case "timePool":
          if (op.attention) g.fill(0, op.attention.offset, op.attention.offset + op.channels);
          timePoolBackward(
            inp,
            dout,
            batch,
            op.length,
            op.channels,
            op.modes,
            this.weights,
            op.attention?.offset ?? 0,
            st.arg!,
            st.weights!,
            g,
            din ?? new Float32Array(batch * op.length * op.channels),
            st.scratch!,
          );
          break;
        case "squeeze":
          squeezeBackward(
            inp,
            dout,
            batch,
            op.length,
            op.channels,
            op.hidden,
            this.#squeezeWeights(op, (s) => this.#w(s)),
            st.squeeze!,
            this.#squeezeWeights(op, (s) => this.#g(s)),
            din,
            st.squeeze!,
          );
          break;
        case "dropout":
          if (din) {
            const n = batch * op.size;
            const mask = st.mask!;
            if (op.rate > 0) { for (let j = 0; j < n; j++) din[j] = dout[j] * mask[j]; }
            else din.set(dout.subarray(0, n));
          }
          break;
        case "dense": {
          if (op.activation === "relu") reluBackward(out, dout, batch * op.units);
          this.gemm.sgemm(true, false, op.inputs, op.units, batch, inp, dout, this.#g(op.kernel));
          if (op.bias) {
            g.fill(0, op.bias.offset, op.bias.offset + op.bias.size);
            addColumnSums(dout, batch, op.units, g, op.bias.offset, this.#sumA);
          }
          if (din) {
            this.gemm.sgemm(false, true, batch, op.inputs, op.units, dout, this.#w(op.kernel), din);
          }
          break;
        }
      }
    }
  }

  /**
   * One Adam step over every trainable weight at learning rate `lr`; then, with `decay` > 0,
   * the conv and dense kernels shrink by lr x decay (decoupled weight decay).
   */
  adam(lr: number, decay = 0): void {
    const c1 = Math.fround(1 - this.#accBeta1);
    const c2 = Math.fround(1 - this.#accBeta2);
    adamStep(
      this.weights,
      this.grads,
      this.#m,
      this.#v,
      this.plan.trainableSize,
      lr,
      ADAM.beta1,
      ADAM.beta2,
      c1,
      c2,
      ADAM.epsilon,
    );
    this.#accBeta1 = Math.fround(this.#accBeta1 * ADAM.beta1);
    this.#accBeta2 = Math.fround(this.#accBeta2 * ADAM.beta2);
    if (decay > 0) {
      const keep = Math.fround(1 - lr * decay);
      for (const slot of this.plan.slots) {
        if (!slot.kernel) continue;
        const w = this.#w(slot);
        for (let j = 0; j < w.length; j++) w[j] *= keep;
      }
    }
  }

  /** Probabilities for any number of rows (inference mode), `maxBatch` at a time. */
  predict(x: Float32Array): Float32Array {
    const size = this.plan.inputSize;
    const n = x.length / size;
    const k = this.plan.classes;
    const out = new Float32Array(n * k);
    for (let from = 0; from < n; from += this.maxBatch) {
      const to = Math.min(n, from + this.maxBatch);
      this.input.set(x.subarray(from * size, to * size));
      out.set(this.forward(to - from, false), from * k);
    }
    return out;
  }
}
