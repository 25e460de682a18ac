// Single-precision GEMM in WebAssembly SIMD, written in AssemblyScript (compiled by
// `deno task build:wasm`; not TypeScript that Deno runs). The portable GEMM of lib/model/gemm.ts
// when no native BLAS loads, and in browsers.
//
// C[m x n] = op(A) op(B) (+ C when `accumulate`), row-major, op(A) m x k (stored k x m when
// transA), op(B) k x n (stored n x k when transB); a, b, c are byte offsets into this memory and
// `work` is scratch of at least workBytes(m, n, k) bytes.
//
// Goto's layout: for each block of KC sums, op(B) is packed into panels of NR columns (one panel,
// KC x NR floats = 8 KiB, stays in L1 while the kernel walks down every row panel), and for each
// block of MC rows op(A) is packed into panels of MR rows (in L2). The 4 x 8 micro-kernel keeps
// the C tile in eight registers; every sum over p runs in the same order whatever the blocking of
// m and n, so a row of C does not depend on how many rows or columns were computed with it.

const MR = 4;
const NR = 8;
const KC = 256;
const MC = 128;

// Bytes of scratch sgemm needs: one packed B block (all of n), one packed A block, one C tile.
export function workBytes(m: i32, n: i32, k: i32): i32 {
  const kc = min(k, KC);
  const np = (n + NR - 1) / NR * NR;
  const mp = (min(m, MC) + MR - 1) / MR * MR;
  return (kc * np + kc * mp + MR * NR) << 2;
}

// bp[panel][p][col] = op(B)[p0 + p][panel * NR + col], zero past column n.
function packB(b: usize, transB: bool, n: i32, k: i32, p0: i32, kc: i32, bp: usize): void {
  for (let j0 = 0; j0 < n; j0 += NR) {
    const cols = min(NR, n - j0);
    if (!transB && cols == NR) {
      for (let p = 0; p < kc; p++) {
        const src = b + ((<usize>(p0 + p) * <usize>n + <usize>j0) << 2);
        v128.store(bp, v128.load(src));
        v128.store(bp, v128.load(src, 16), 16);
        bp += NR << 2;
      }
      continue;
    }
    for (let p = 0; p < kc; p++) {
      for (let c = 0; c < NR; c++) {
        let v: f32 = 0;
        if (c < cols) {
          const j = j0 + c;
          v = transB
            ? load<f32>(b + ((<usize>j * <usize>k + <usize>(p0 + p)) << 2))
            : load<f32>(b + ((<usize>(p0 + p) * <usize>n + <usize>j) << 2));
        }
        store<f32>(bp + (<usize>c << 2), v);
      }
      bp += NR << 2;
    }
  }
}

// ap[panel][p][row] = op(A)[i0 + panel * MR + row][p0 + p], zero past row m.
function packA(a: usize, transA: bool, m: i32, k: i32, i0: i32, mc: i32, p0: i32, kc: i32, ap: usize): void {
  for (let r0 = 0; r0 < mc; r0 += MR) {
    const rows = min(MR, mc - r0);
    if (transA && rows == MR) {
      for (let p = 0; p < kc; p++) {
        v128.store(ap, v128.load(a + ((<usize>(p0 + p) * <usize>m + <usize>(i0 + r0)) << 2)));
        ap += MR << 2;
      }
      continue;
    }
    if (!transA && rows == MR) {
      const row0 = a + ((<usize>(i0 + r0) * <usize>k + <usize>p0) << 2);
      const stride = <usize>k << 2;
      for (let p = 0; p < kc; p++) {
        const src = row0 + (<usize>p << 2);
        store<f32>(ap, load<f32>(src));
        store<f32>(ap, load<f32>(src + stride), 4);
        store<f32>(ap, load<f32>(src + 2 * stride), 8);
        store<f32>(ap, load<f32>(src + 3 * stride), 12);
        ap += MR << 2;
      }
      continue;
    }
    for (let p = 0; p < kc; p++) {
      for (let r = 0; r < MR; r++) {
        let v: f32 = 0;
        if (r < rows) {
          const i = i0 + r0 + r;
          v = transA
            ? load<f32>(a + ((<usize>(p0 + p) * <usize>m + <usize>i) << 2))
            : load<f32>(a + ((<usize>i * <usize>k + <usize>(p0 + p)) << 2));
        }
        store<f32>(ap + (<usize>r << 2), v);
      }
      ap += MR << 2;
    }
  }
}

// C tile (4 x 8 at c, row stride ldc bytes) += or = A panel x B panel over kc sums.
// @ts-ignore: decorator
@inline function micro(ap: usize, bp: usize, kc: i32, c: usize, ldc: usize, fromC: bool): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  if (fromC) {
    c00 = v128.load(c);
    c01 = v128.load(c, 16);
    c10 = v128.load(c + ldc);
    c11 = v128.load(c + ldc, 16);
    c20 = v128.load(c + 2 * ldc);
    c21 = v128.load(c + 2 * ldc, 16);
    c30 = v128.load(c + 3 * ldc);
    c31 = v128.load(c + 3 * ldc, 16);
  }
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = f32x4.add(c00, f32x4.mul(a, b0));
    c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0));
    c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0));
    c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0));
    c31 = f32x4.add(c31, f32x4.mul(a, b1));
    ap += MR << 2;
    bp += NR << 2;
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c + ldc, c10);
  v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20);
  v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30);
  v128.store(c + 3 * ldc, c31, 16);
}

export function sgemm(transA: bool, transB: bool, m: i32, n: i32, k: i32, a: usize, b: usize, c: usize,
                      accumulate: bool, work: usize): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) memory.fill(c, 0, <usize>m * <usize>n << 2);
    return;
  }
  const kcMax = min(k, KC);
  const np = (n + NR - 1) / NR * NR;
  const bp = work;
  const ap = bp + (<usize>(kcMax * np) << 2);
  const tile = ap + (<usize>(kcMax * ((min(m, MC) + MR - 1) / MR * MR)) << 2);
  const ldc = <usize>n << 2;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = min(KC, k - p0);
    const fromC = accumulate || p0 > 0;
    packB(b, transB, n, k, p0, kc, bp);
    for (let i0 = 0; i0 < m; i0 += MC) {
      const mc = min(MC, m - i0);
      packA(a, transA, m, k, i0, mc, p0, kc, ap);
      for (let j0 = 0; j0 < n; j0 += NR) {
        const cols = min(NR, n - j0);
        const bPanel = bp + (<usize>(j0 * kc) << 2);
        for (let r0 = 0; r0 < mc; r0 += MR) {
          const rows = min(MR, mc - r0);
          const aPanel = ap + (<usize>(r0 * kc) << 2);
          const cTile = c + ((<usize>(i0 + r0) * <usize>n + <usize>j0) << 2);
          if (rows == MR && cols == NR) {
            micro(aPanel, bPanel, kc, cTile, ldc, fromC);
            continue;
          }
          // Edge tile: through a full 4 x 8 scratch tile, only the valid part copied back.
          if (fromC) {
            for (let r = 0; r < rows; r++) {
              for (let q = 0; q < cols; q++) {
                store<f32>(tile + (<usize>(r * NR + q) << 2),
                  load<f32>(cTile + <usize>r * ldc + (<usize>q << 2)));
              }
            }
          }
          micro(aPanel, bPanel, kc, tile, NR << 2, fromC);
          for (let r = 0; r < rows; r++) {
            for (let q = 0; q < cols; q++) {
              store<f32>(cTile + <usize>r * ldc + (<usize>q << 2),
                load<f32>(tile + (<usize>(r * NR + q) << 2)));
            }
          }
        }
      }
    }
  }
}
