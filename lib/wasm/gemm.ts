/**
 * The portable fast GEMM: the WebAssembly SIMD kernel built from `kernel_src/gemm_kernel.ts` (packed
 * panels, a 4 x 8 register tile, blocks of 256 sums), used when no native BLAS loads and in
 * browsers. Pure: no Deno APIs. Operands are copied into the kernel's own memory and the result
 * copied back; the copies are O(mk + kn + mn) against the product's O(mnk). Null where the
 * runtime lacks WebAssembly SIMD.
 */
import type { Gemm } from "../model/gemm.ts";
import { ensureMemory, instantiateKernel } from "./instance.ts";
import { GEMM_KERNEL_WASM } from "./gemm_kernel_wasm.ts";

interface Exports {
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

// Keeps every operand 16-byte aligned (the kernel's vector loads and stores).
const align = (bytes: number) => Math.ceil(bytes / 64) * 64;

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
    withArena: (floats, stagingFloats, widest) => createArenaGemm(floats, stagingFloats, widest),
  };
}

/**
 * A kernel instance whose memory holds an arena of `floats` values laid out once: views of the
 * arena go to the kernel as they are (no copies in or out). Operands elsewhere are staged in a
 * region of `stagingFloats` values after it; what does not fit goes to an ordinary instance.
 * The memory never grows after this, so the arena's views stay valid. `widest`: the most
 * columns (n) of any product, which sizes the kernel's packing scratch.
 */
function createArenaGemm(
  floats: number,
  stagingFloats: number,
  widest: number,
): { gemm: Gemm; arena: Float32Array } | null {
  const ex = instantiateKernel<Exports>(GEMM_KERNEL_WASM);
  if (!ex) return null;
  const arenaPtr = 1024;
  const stagingPtr = arenaPtr + align(4 * floats);
  const workPtr = stagingPtr + align(4 * stagingFloats);
  // packing scratch for any m and k: its size grows with n only (KC x n, plus an A block)
  const workSize = ex.workBytes(1 << 20, Math.max(widest, 8), 1 << 20);
  ensureMemory(ex.memory, workPtr + workSize);
  const mem = ex.memory.buffer;
  const arena = new Float32Array(mem, arenaPtr, floats);
  let fallback: Gemm | null = null;
  const gemm: Gemm = {
    name: "wasm-simd (1 thread)",
    sgemm(transA, transB, m, n, k, a, b, c, accumulate = false) {
      if (m === 0 || n === 0) return;
      const lenA = m * k;
      const lenB = k * n;
      const lenC = m * n;
      const resident = (x: Float32Array) => x.buffer === mem;
      const staged = (resident(a) ? 0 : align(4 * lenA)) + (resident(b) ? 0 : align(4 * lenB)) +
        (resident(c) ? 0 : align(4 * lenC));
      if (staged > 4 * stagingFloats || n > Math.max(widest, 8)) {
        fallback ??= createWasmGemm();
        fallback!.sgemm(transA, transB, m, n, k, a, b, c, accumulate);
        return;
      }
      let at = stagingPtr;
      const place = (x: Float32Array, len: number, copyIn: boolean): number => {
        if (resident(x)) return x.byteOffset;
        const ptr = at;
        at += align(4 * len);
        if (copyIn) new Float32Array(mem, ptr, len).set(x.subarray(0, len));
        return ptr;
      };
      const aPtr = place(a, lenA, true);
      const bPtr = place(b, lenB, true);
      const cPtr = place(c, lenC, accumulate);
      ex.sgemm(+transA, +transB, m, n, k, aPtr, bPtr, cPtr, +accumulate, workPtr);
      if (!resident(c)) c.set(new Float32Array(mem, cPtr, lenC));
    },
  };
  return { gemm, arena };
}
