// The static trainer's kernels in WebAssembly SIMD, written in AssemblyScript (compiled by
// `deno task build:wasm`; not TypeScript that Deno runs): the GEMM of gemm_kernel.ts plus the
// batch-norm passes, in one module, so a network's buffers live in this module's memory and
// neither products nor passes copy anything.
//
// Each pass computes the same bits as its JavaScript twin in lib/model/static/kernels.ts (a test
// checks): sums in double precision in the same order, float32 steps where the twin rounds.
// Pointers are byte offsets into this memory; `channels` is a multiple of 4.

export { sgemm, workBytes } from "./gemm_kernel";

// high two floats of v, as the low two
// @ts-ignore: decorator
@inline function high(v: v128): v128 {
  return v128.shuffle<f32>(v, v, 2, 3, 0, 1);
}

// Per channel, the sum and the sum of squares of x over `count` positions, four positions at a
// time ((a + b) + (d + e), (a a + b b) + (d d + e e)), then the rest one by one.
export function bnSums(x: usize, count: i32, channels: i32, sum: usize, sumSq: usize): void {
  memory.fill(sum, 0, <usize>channels << 3);
  memory.fill(sumSq, 0, <usize>channels << 3);
  const row = <usize>channels << 2;
  let r = 0;
  for (; r + 4 <= count; r += 4) {
    const base = x + <usize>r * row;
    for (let c = 0; c < channels; c += 4) {
      const p = base + (<usize>c << 2);
      const va = v128.load(p);
      const vb = v128.load(p + row);
      const vd = v128.load(p + 2 * row);
      const ve = v128.load(p + 3 * row);
      for (let h = 0; h < 2; h++) {
        const a = f64x2.promote_low_f32x4(h == 0 ? va : high(va));
        const b = f64x2.promote_low_f32x4(h == 0 ? vb : high(vb));
        const d = f64x2.promote_low_f32x4(h == 0 ? vd : high(vd));
        const e = f64x2.promote_low_f32x4(h == 0 ? ve : high(ve));
        const at = (<usize>(c + 2 * h)) << 3;
        const s = f64x2.add(f64x2.add(a, b), f64x2.add(d, e));
        v128.store(sum + at, f64x2.add(v128.load(sum + at), s));
        const q = f64x2.add(
          f64x2.add(f64x2.mul(a, a), f64x2.mul(b, b)),
          f64x2.add(f64x2.mul(d, d), f64x2.mul(e, e)),
        );
        v128.store(sumSq + at, f64x2.add(v128.load(sumSq + at), q));
      }
    }
  }
  for (; r < count; r++) {
    const base = x + <usize>r * row;
    for (let c = 0; c < channels; c += 4) {
      const v = v128.load(base + (<usize>c << 2));
      for (let h = 0; h < 2; h++) {
        const a = f64x2.promote_low_f32x4(h == 0 ? v : high(v));
        const at = (<usize>(c + 2 * h)) << 3;
        v128.store(sum + at, f64x2.add(v128.load(sum + at), a));
        v128.store(sumSq + at, f64x2.add(v128.load(sumSq + at), f64x2.mul(a, a)));
      }
    }
  }
}

// y = x scale + shift per channel (a float32 product, then a sum), and ReLU when asked
// (v > 0 ? v : 0, so NaN and -0 give 0 as in JavaScript).
export function bnNormalize(x: usize, count: i32, channels: i32, scale: usize, shift: usize,
                            relu: bool, y: usize): void {
  const row = <usize>channels << 2;
  const zero = f32x4.splat(0);
  for (let r = 0; r < count; r++) {
    const xr = x + <usize>r * row;
    const yr = y + <usize>r * row;
    for (let c = 0; c < channels; c += 4) {
      const at = <usize>c << 2;
      let v = f32x4.add(f32x4.mul(v128.load(xr + at), v128.load(scale + at)), v128.load(shift + at));
      if (relu) v = f32x4.pmax(zero, v);
      v128.store(yr + at, v);
    }
  }
}

// Batch norm's backward sums per channel: dy masked in place where the ReLU output y was not
// positive (when y is not 0), then sum dy and sum dy x in double precision, position by position.
export function bnBackSums(x: usize, y: usize, dy: usize, count: i32, channels: i32,
                           sumDy: usize, sumDyX: usize): void {
  memory.fill(sumDy, 0, <usize>channels << 3);
  memory.fill(sumDyX, 0, <usize>channels << 3);
  const row = <usize>channels << 2;
  const zero = f32x4.splat(0);
  for (let r = 0; r < count; r++) {
    const off = <usize>r * row;
    for (let c = 0; c < channels; c += 4) {
      const at = off + (<usize>c << 2);
      let d = v128.load(dy + at);
      if (y != 0) {
        d = v128.and(d, f32x4.gt(v128.load(y + at), zero));
        v128.store(dy + at, d);
      }
      const xv = v128.load(x + at);
      for (let h = 0; h < 2; h++) {
        const dd = f64x2.promote_low_f32x4(h == 0 ? d : high(d));
        const xx = f64x2.promote_low_f32x4(h == 0 ? xv : high(xv));
        const s = (<usize>(c + 2 * h)) << 3;
        v128.store(sumDy + s, f64x2.add(v128.load(sumDy + s), dd));
        v128.store(sumDyX + s, f64x2.add(v128.load(sumDyX + s), f64x2.mul(dd, xx)));
      }
    }
  }
}

// dx = (a dy + b x) + e per channel, in float32 steps.
export function bnBackDx(x: usize, dy: usize, count: i32, channels: i32, a: usize, b: usize,
                         e: usize, dx: usize): void {
  const row = <usize>channels << 2;
  for (let r = 0; r < count; r++) {
    const off = <usize>r * row;
    for (let c = 0; c < channels; c += 4) {
      const at = off + (<usize>c << 2);
      const k = <usize>c << 2;
      const v = f32x4.add(
        f32x4.add(
          f32x4.mul(v128.load(a + k), v128.load(dy + at)),
          f32x4.mul(v128.load(b + k), v128.load(x + at)),
        ),
        v128.load(e + k),
      );
      v128.store(dx + at, v);
    }
  }
}

// Max pooling over time, four channels at a time: y and, per output value, the index (within x,
// in floats) of the input it came from, the first of equal values (a later one must be greater),
// as the JavaScript twin and tfjs pick.
export function maxPool(x: usize, rows: i32, length: i32, channels: i32, pool: i32, stride: i32,
                        padLeft: i32, outLength: i32, y: usize, arg: usize): void {
  const lanes = i32x4(0, 1, 2, 3);
  for (let b = 0; b < rows; b++) {
    const xb = b * length * channels;
    for (let t = 0; t < outLength; t++) {
      const s0 = max(0, t * stride - padLeft);
      const s1 = min(length, t * stride - padLeft + pool);
      const out = <usize>((b * outLength + t) * channels) << 2;
      for (let c = 0; c < channels; c += 4) {
        const first = xb + s0 * channels + c;
        let best = v128.load(x + (<usize>first << 2));
        let where = i32x4.add(i32x4.splat(first), lanes);
        for (let s = s0 + 1; s < s1; s++) {
          const at = xb + s * channels + c;
          const v = v128.load(x + (<usize>at << 2));
          const more = f32x4.gt(v, best);
          best = v128.bitselect(v, best, more);
          where = v128.bitselect(i32x4.add(i32x4.splat(at), lanes), where, more);
        }
        v128.store(y + out + (<usize>c << 2), best);
        v128.store(arg + out + (<usize>c << 2), where);
      }
    }
  }
}
