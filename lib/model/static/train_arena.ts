/**
 * The static trainer's memory: one instance of the train kernel (`kernel_src/train_kernel.ts`:
 * the GEMM and the batch-norm passes) whose memory holds a network's every buffer, laid out
 * once. Views of the arena go to the kernels as they are, so neither the products (with the
 * WebAssembly GEMM) nor the passes copy anything; native BLAS reads the same views through FFI.
 * Pure: no Deno APIs. Null where the runtime lacks WebAssembly SIMD.
 */
import type { Gemm } from "../gemm.ts";
import type { BatchNormPasses } from "./batch_norm.ts";
import type { maxPoolForward } from "./kernels.ts";
import { ensureMemory, instantiateKernel } from "../../wasm/instance.ts";
import { align, createWasmGemm, type GemmExports } from "../gemm_wasm.ts";
import { TRAIN_KERNEL_WASM } from "../../wasm/train_kernel_wasm.ts";

interface Exports extends GemmExports {
  maxPool(
    x: number,
    rows: number,
    length: number,
    channels: number,
    pool: number,
    stride: number,
    padLeft: number,
    outLength: number,
    y: number,
    arg: number,
  ): void;
  bnSums(x: number, count: number, channels: number, sum: number, sumSq: number): void;
  bnNormalize(
    x: number,
    count: number,
    channels: number,
    scale: number,
    shift: number,
    relu: number,
    y: number,
  ): void;
  bnBackSums(
    x: number,
    y: number,
    dy: number,
    count: number,
    channels: number,
    sumDy: number,
    sumDyX: number,
  ): void;
  bnBackDx(
    x: number,
    dy: number,
    count: number,
    channels: number,
    a: number,
    b: number,
    e: number,
    dx: number,
  ): void;
}

export interface TrainArena {
  /** `floats` values in the kernel's memory (it never grows, so views stay valid). */
  arena: Float32Array;
  /** The WebAssembly GEMM, working in place on views of the arena. */
  gemm: Gemm;
  /**
   * The batch-norm passes in SIMD, the same bits as `jsBatchNormPasses`, for arrays in the
   * arena and channel counts that are multiples of 4 (others go to `fallback`).
   */
  batchNorm(fallback: BatchNormPasses): BatchNormPasses;
  /** Max pooling in SIMD, the same values and indices as `maxPoolForward` (its fallback). */
  maxPool(fallback: typeof maxPoolForward): typeof maxPoolForward;
}

/**
 * An arena of `floats` values. Operands of a product that are not in it are staged in room for
 * `stagingFloats` more; what does not fit goes to an ordinary instance. `widest`: the most
 * columns (n) of any product, which sizes the GEMM's packing scratch.
 */
export function createTrainArena(
  floats: number,
  stagingFloats: number,
  widest: number,
): TrainArena | null {
  const ex = instantiateKernel<Exports>(TRAIN_KERNEL_WASM);
  if (!ex) return null;
  const arenaPtr = 1024;
  const stagingPtr = arenaPtr + align(4 * floats);
  const workPtr = stagingPtr + align(4 * stagingFloats);
  // the GEMM's packing scratch for any m and k grows with n only
  const cols = Math.max(widest, 8);
  ensureMemory(ex.memory, workPtr + ex.workBytes(1 << 20, cols, 1 << 20));
  const mem = ex.memory.buffer;
  const arena = new Float32Array(mem, arenaPtr, floats);
  const inArena = (x: { buffer: ArrayBufferLike }) => x.buffer === mem;
  let fallback: Gemm | null = null;
  const gemm: Gemm = {
    name: "wasm-simd (1 thread)",
    sgemm(transA, transB, m, n, k, a, b, c, accumulate = false) {
      if (m === 0 || n === 0) return;
      const lenA = m * k;
      const lenB = k * n;
      const lenC = m * n;
      const staged = (inArena(a) ? 0 : align(4 * lenA)) + (inArena(b) ? 0 : align(4 * lenB)) +
        (inArena(c) ? 0 : align(4 * lenC));
      if (staged > 4 * stagingFloats || n > cols) {
        fallback ??= createWasmGemm();
        fallback!.sgemm(transA, transB, m, n, k, a, b, c, accumulate);
        return;
      }
      let at = stagingPtr;
      const place = (x: Float32Array, len: number, copyIn: boolean): number => {
        if (inArena(x)) return x.byteOffset;
        const ptr = at;
        at += align(4 * len);
        if (copyIn) new Float32Array(mem, ptr, len).set(x.subarray(0, len));
        return ptr;
      };
      const aPtr = place(a, lenA, true);
      const bPtr = place(b, lenB, true);
      const cPtr = place(c, lenC, accumulate);
      ex.sgemm(+transA, +transB, m, n, k, aPtr, bPtr, cPtr, +accumulate, workPtr);
      if (!inArena(c)) c.set(new Float32Array(mem, cPtr, lenC));
    },
  };
  const batchNorm = (js: BatchNormPasses): BatchNormPasses => {
    const ok = (channels: number, ...xs: ({ buffer: ArrayBufferLike } | null)[]) =>
      channels % 4 === 0 && xs.every((x) => x === null || inArena(x));
    return {
      sums(x, count, channels, sum, sumSq) {
        if (!ok(channels, x, sum, sumSq)) return js.sums(x, count, channels, sum, sumSq);
        ex.bnSums(x.byteOffset, count, channels, sum.byteOffset, sumSq.byteOffset);
      },
      normalize(x, count, channels, scale, shift, relu, y) {
        if (!ok(channels, x, scale, shift, y)) {
          return js.normalize(x, count, channels, scale, shift, relu, y);
        }
        ex.bnNormalize(
          x.byteOffset,
          count,
          channels,
          scale.byteOffset,
          shift.byteOffset,
          +relu,
          y.byteOffset,
        );
      },
      backSums(x, y, dy, count, channels, sumDy, sumDyX) {
        if (!ok(channels, x, y, dy, sumDy, sumDyX)) {
          return js.backSums(x, y, dy, count, channels, sumDy, sumDyX);
        }
        ex.bnBackSums(
          x.byteOffset,
          y ? y.byteOffset : 0,
          dy.byteOffset,
          count,
          channels,
          sumDy.byteOffset,
          sumDyX.byteOffset,
        );
      },
      backDx(x, dy, count, channels, a, b, e, dx) {
        if (!ok(channels, x, dy, a, b, e, dx)) {
          return js.backDx(x, dy, count, channels, a, b, e, dx);
        }
        ex.bnBackDx(
          x.byteOffset,
          dy.byteOffset,
          count,
          channels,
          a.byteOffset,
          b.byteOffset,
          e.byteOffset,
          dx.byteOffset,
        );
      },
    };
  };
  const maxPool =
    (js: typeof maxPoolForward): typeof maxPoolForward =>
    (x, rows, length, channels, pool, stride, padLeft, outLength, y, arg) => {
      if (channels % 4 !== 0 || !inArena(x) || !inArena(y) || !inArena(arg)) {
        return js(x, rows, length, channels, pool, stride, padLeft, outLength, y, arg);
      }
      ex.maxPool(
        x.byteOffset,
        rows,
        length,
        channels,
        pool,
        stride,
        padLeft,
        outLength,
        y.byteOffset,
        arg.byteOffset,
      );
    };
  return { arena, gemm, batchNorm, maxPool };
}
