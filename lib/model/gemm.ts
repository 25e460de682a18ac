/**
 * Single-precision matrix multiply, the one primitive the training kernels need.
 *
 * Row-major throughout: C[m×n] = op(A)·op(B) (+ C when `accumulate`), where op(A) is m×k (A stored
 * k×m when `transA`) and op(B) is k×n (B stored n×k when `transB`). Implementations: native BLAS
 * through Deno's FFI (`blas_ffi.ts`, Deno only), the WebAssembly SIMD kernel (`../wasm/gemm.ts`,
 * anywhere, browsers included) and the plain JavaScript one below, the reference the others are
 * tested against.
 */
import type { BatchNormPasses } from "./static/batch_norm.ts";
import type { maxPoolForward } from "./static/kernels.ts";

/** A GEMM working in place on an arena (`Gemm.withArena`), and what else the arena offers. */
export interface GemmArena {
  gemm: Gemm;
  arena: Float32Array;
  /** The batch-norm passes in SIMD on the arena's views (the same bits as the JS ones). */
  batchNorm?(fallback: BatchNormPasses): BatchNormPasses;
  /** Max pooling in SIMD on the arena's views (the same values and indices as the JS one). */
  maxPool?(fallback: typeof maxPoolForward): typeof maxPoolForward;
}

/** `train.gemm`: which matrix multiply trains (see `chooseGemm`). */
export { GEMM_MODES, type GemmMode } from "../config/defaults.ts";

export interface Gemm {
  /** Where the numbers come from, e.g. "openblas (2 threads)" or "js"; recorded with results. */
  readonly name: string;
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    accumulate?: boolean,
  ): void;
  /**
   * A GEMM of the same kind (the same bits) with an arena of `floats` values it reads and writes
   * in place: operands that are views of the arena cost no copies. `stagingFloats` sizes the
   * room for operands that are not, `widest` is the most columns of any product. Absent where
   * copies cost nothing (native BLAS reads JavaScript memory directly).
   */
  withArena?(floats: number, stagingFloats: number, widest: number): GemmArena | null;
}

function transposed(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[base + c];
  }
  return out;
}

/**
 * Reference GEMM: i-k-j loop order so the inner loop streams rows of B and C, in blocks of k so
 * a block of B stays in cache. About 1-2 GFLOP/s in V8: the yardstick in tests, and the last
 * resort where WebAssembly SIMD is missing.
 */
export const jsGemm: Gemm = {
  name: "js",
  sgemm(transA, transB, m, n, k, a, b, c, accumulate = false) {
    const A = transA ? transposed(a, k, m) : a;
    const B = transB ? transposed(b, n, k) : b;
    if (!accumulate) c.fill(0, 0, m * n);
    const blockK = 128;
    for (let k0 = 0; k0 < k; k0 += blockK) {
      const k1 = Math.min(k, k0 + blockK);
      for (let i = 0; i < m; i++) {
        const cRow = i * n;
        const aRow = i * k;
        for (let p = k0; p < k1; p++) {
          const aip = A[aRow + p];
          if (aip === 0) continue;
          const bRow = p * n;
          for (let j = 0; j < n; j++) c[cRow + j] += aip * B[bRow + j];
        }
      }
    }
  },
};
