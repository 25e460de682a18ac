/**
 * The portable fast GEMM: the WebAssembly SIMD kernel built from `kernel_src/gemm_kernel.ts` (packed
 * panels, a 4 x 8 register tile, blocks of 256 sums), used when no native BLAS loads and in
 * browsers. Pure: no Deno APIs. Operands are copied into the kernel's own memory and the result
 * copied back; the copies are O(mk + kn + mn) against the product's O(mnk). Null where the
 * runtime lacks WebAssembly SIMD.
 */
import type { Gemm } from "./gemm.ts";
import { ensureMemory, instantiateKernel } from "../wasm/instance.ts";
import { GEMM_KERNEL_WASM } from "../wasm/gemm_kernel_wasm.ts";
import { createTrainArena } from "./static/train_arena.ts";

type Exports = GemmExports;

// Keeps every operand 16-byte aligned (the kernel's vector loads and stores).
export const align = (bytes: number) => Math.ceil(bytes / 64) * 64;

/** The kernel's exports, for modules that hold its GEMM (`train_arena.ts`). */
export interface GemmExports {
  workBytes(m: number, n: number, k: number): number;
  sgemm(
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    a: number,
    b: number,
    c: number,
    accumulate: number,
    work: number,
  ): void;
}

export function createWasmGemm(): Gemm | null {
  const ex = instantiateKernel<Exports>(GEMM_KERNEL_WASM);
  if (!ex) return null;
  return {
    name: "wasm-simd (1 thread)",
    sgemm(transA, transB, m, n, k, a, b, c, accumulate = false) {
      if (m === 0 || n === 0) return;
      const aPtr = 1024;
      const bPtr = aPtr + align(4 * m * k);
      const cPtr = bPtr + align(4 * k * n);
      const workPtr = cPtr + align(4 * m * n);
      ensureMemory(ex.memory, workPtr + ex.workBytes(m, n, k));
      const mem = ex.memory.buffer;
      new Float32Array(mem, aPtr, m * k).set(a.subarray(0, m * k));
      new Float32Array(mem, bPtr, k * n).set(b.subarray(0, k * n));
      const cView = new Float32Array(mem, cPtr, m * n);
      if (accumulate) cView.set(c.subarray(0, m * n));
      ex.sgemm(+transA, +transB, m, n, k, aPtr, bPtr, cPtr, +accumulate, workPtr);
      c.set(cView);
    },
    withArena: (floats, stagingFloats, widest) => createTrainArena(floats, stagingFloats, widest),
  };
}
