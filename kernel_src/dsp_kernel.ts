// Filter-bank products in WebAssembly SIMD, written in AssemblyScript (compiled by
// `deno task build:wasm`; not TypeScript that Deno runs).
//
// out[r * nFrames + t] = sum_i w[wOffset_r + i] * x[t * stride + start_r + i], i < taps_r
// x: frame-major spectra (float32), padded so every row may read 4 floats past its last bin.
// rows: per row three i32: start (bin), taps (multiple of 4, weights zero-padded), wOffset.

export function filterRows(x: usize, nFrames: i32, stride: i32, w: usize, rows: usize, nRows: i32, out: usize): void {
  for (let r = 0; r < nRows; r++) {
    const row = rows + (<usize>r * 12);
    const start = load<i32>(row);
    const taps = load<i32>(row, 4);
    const wRow = w + (<usize>load<i32>(row, 8) << 2);
    for (let t = 0; t < nFrames; t++) {
      const xRow = x + (<usize>(t * stride + start) << 2);
      let acc0 = f32x4.splat(0);
      let acc1 = f32x4.splat(0);
      let i = 0;
      for (; i + 8 <= taps; i += 8) {
        const o = <usize>i << 2;
        acc0 = f32x4.add(acc0, f32x4.mul(v128.load(wRow + o), v128.load(xRow + o)));
        acc1 = f32x4.add(acc1, f32x4.mul(v128.load(wRow + o, 16), v128.load(xRow + o, 16)));
      }
      if (i < taps) {
        const o = <usize>i << 2;
        acc0 = f32x4.add(acc0, f32x4.mul(v128.load(wRow + o), v128.load(xRow + o)));
      }
      const s = f32x4.add(acc0, acc1);
      store<f32>(out + (<usize>(r * nFrames + t) << 2),
        f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3));
    }
  }
}

// Phase vocoder (the `fast` mode of lib/augment/stretch.ts) over four bins per instruction.
// re/im: (nFrames + 2) x nBins float32, frame-major, the last two frames zero (librosa's padding).
// idx/alpha: per output frame, the input frame floor(step) and frac(step).
// phase: nBins + 4 pairs of scratch (the running unit phasor per bin).
// Bins are processed in blocks of 4 with stride nBins, so a frame's last block spills into the
// next frame's first bins; frames go in order, so those are rewritten correctly right after, and
// the buffers carry 4 floats of slack at the end.
export function vocode(re: usize, im: usize, nBins: i32, idx: usize, alpha: usize, nOut: i32,
                       outRe: usize, outIm: usize, phaseRe: usize, phaseIm: usize): void {
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  // Initial phase: the unit phasor of input frame 0.
  for (let k = 0; k < nBins; k += 4) {
    const o = <usize>k << 2;
    const xr = v128.load(re + o);
    const xi = v128.load(im + o);
    const m = f32x4.sqrt(f32x4.add(f32x4.mul(xr, xr), f32x4.mul(xi, xi)));
    const nz = f32x4.gt(m, zero);
    v128.store(phaseRe + o, v128.bitselect(f32x4.div(xr, m), one, nz));
    v128.store(phaseIm + o, v128.bitselect(f32x4.div(xi, m), zero, nz));
  }
  for (let t = 0; t < nOut; t++) {
    const c0 = <usize>load<i32>(idx + (<usize>t << 2)) * <usize>nBins;
    const a = f32x4.splat(load<f32>(alpha + (<usize>t << 2)));
    const b = f32x4.sub(one, a);
    const outBase = <usize>t * <usize>nBins;
    for (let k = 0; k < nBins; k += 4) {
      const o0 = (c0 + <usize>k) << 2;
      const o1 = o0 + (<usize>nBins << 2);
      const x0r = v128.load(re + o0);
      const x0i = v128.load(im + o0);
      const x1r = v128.load(re + o1);
      const x1i = v128.load(im + o1);
      const m0 = f32x4.sqrt(f32x4.add(f32x4.mul(x0r, x0r), f32x4.mul(x0i, x0i)));
      const m1 = f32x4.sqrt(f32x4.add(f32x4.mul(x1r, x1r), f32x4.mul(x1i, x1i)));
      const nz0 = f32x4.gt(m0, zero);
      const nz1 = f32x4.gt(m1, zero);
      const u0r = v128.bitselect(f32x4.div(x0r, m0), one, nz0);
      const u0i = v128.bitselect(f32x4.div(x0i, m0), zero, nz0);
      const u1r = v128.bitselect(f32x4.div(x1r, m1), one, nz1);
      const u1i = v128.bitselect(f32x4.div(x1i, m1), zero, nz1);
      const po = <usize>k << 2;
      const pr = v128.load(phaseRe + po);
      const pi = v128.load(phaseIm + po);
      const m = f32x4.add(f32x4.mul(b, m0), f32x4.mul(a, m1));
      const oo = (outBase + <usize>k) << 2;
      v128.store(outRe + oo, f32x4.mul(m, pr));
      v128.store(outIm + oo, f32x4.mul(m, pi));
      // p <- p * u1 * conj(u0), renormalised.
      const dr = f32x4.add(f32x4.mul(u1r, u0r), f32x4.mul(u1i, u0i));
      const di = f32x4.sub(f32x4.mul(u1i, u0r), f32x4.mul(u1r, u0i));
      const nr = f32x4.sub(f32x4.mul(pr, dr), f32x4.mul(pi, di));
      const ni = f32x4.add(f32x4.mul(pr, di), f32x4.mul(pi, dr));
      const inv = f32x4.div(one, f32x4.sqrt(f32x4.add(f32x4.mul(nr, nr), f32x4.mul(ni, ni))));
      v128.store(phaseRe + po, f32x4.mul(nr, inv));
      v128.store(phaseIm + po, f32x4.mul(ni, inv));
    }
  }
}
