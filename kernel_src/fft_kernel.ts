// Batched real FFTs in WebAssembly SIMD, written in AssemblyScript (compiled by
// `deno task build:wasm`; this file is not TypeScript that Deno runs).
//
// Four frames travel together, one per f32x4 lane, so every butterfly serves four frames and no
// lane shuffles are needed. A frame's spectrum is one length-N/2 complex FFT of its even/odd
// samples packed as re/im, then a split step (the standard real-FFT trick).
//
// Memory layout (all pointers are byte offsets set up by lib/wasm/dsp.ts):
//   samples  N v128         x[n] for the 4 frames (lane f = frame f)
//   spectrum (N/2+1) x 2 v128  X[k].re, X[k].im
//   work     N/2 x 2 v128   complex scratch
//   tw       N/4 x 2 v128   e^{-2 pi i j / M}, j < M/2, M = N/2 (cos, -sin), splatted
//   split    (N/2+1) x 2 v128  cos(2 pi k / N), sin(2 pi k / N), splatted
//   bitrev   N/2 i32        bit-reversal permutation of M

@inline function cmulRe(ar: v128, ai: v128, br: v128, bi: v128): v128 {
  return f32x4.sub(f32x4.mul(ar, br), f32x4.mul(ai, bi));
}

@inline function cmulIm(ar: v128, ai: v128, br: v128, bi: v128): v128 {
  return f32x4.add(f32x4.mul(ar, bi), f32x4.mul(ai, br));
}

// In-place radix-2 complex FFT of M points on `work` (already in bit-reversed order).
// `inverse` conjugates the twiddles (no 1/M scaling here).
function fftInPlace(work: usize, m: i32, tw: usize, inverse: bool): void {
  const sign = f32x4.splat(inverse ? -1.0 : 1.0);
  for (let h = 1; h < m; h <<= 1) {
    const step = m / (2 * h);
    for (let j = 0; j < h; j++) {
      const t = tw + (<usize>(j * step) << 5);
      const wr = v128.load(t);
      const wi = f32x4.mul(v128.load(t, 16), sign);
      for (let k = j; k < m; k += 2 * h) {
        const a = work + (<usize>k << 5);
        const b = work + (<usize>(k + h) << 5);
        const br = v128.load(b);
        const bi = v128.load(b, 16);
        const tr = cmulRe(br, bi, wr, wi);
        const ti = cmulIm(br, bi, wr, wi);
        const ar = v128.load(a);
        const ai = v128.load(a, 16);
        v128.store(a, f32x4.add(ar, tr));
        v128.store(a, f32x4.add(ai, ti), 16);
        v128.store(b, f32x4.sub(ar, tr));
        v128.store(b, f32x4.sub(ai, ti), 16);
      }
    }
  }
}

// Forward real FFT of 4 frames: samples -> spectrum (bins 0..N/2).
export function rfft4(samples: usize, spectrum: usize, work: usize, n: i32, tw: usize, split: usize, bitrev: usize): void {
  const m = n >> 1;
  // z[j] = x[2j] + i x[2j+1] is the sample array read as complex pairs; scatter bit-reversed.
  for (let j = 0; j < m; j++) {
    const src = samples + (<usize>j << 5);
    const dst = work + (<usize>load<i32>(bitrev + (<usize>j << 2)) << 5);
    v128.store(dst, v128.load(src));
    v128.store(dst, v128.load(src, 16), 16);
  }
  fftInPlace(work, m, tw, false);
  const half = f32x4.splat(0.5);
  for (let k = 0; k <= m; k++) {
    const a = work + (<usize>(k == m ? 0 : k) << 5);
    const b = work + (<usize>(k == 0 ? 0 : m - k) << 5);
    const ar = v128.load(a);
    const ai = v128.load(a, 16);
    const br = v128.load(b);
    const bi = f32x4.neg(v128.load(b, 16)); // conj(Z[M-k])
    const er = f32x4.mul(half, f32x4.add(ar, br));
    const ei = f32x4.mul(half, f32x4.add(ai, bi));
    const or = f32x4.mul(half, f32x4.sub(ar, br));
    const oi = f32x4.mul(half, f32x4.sub(ai, bi));
    const s = split + (<usize>k << 5);
    const c = v128.load(s);
    const sn = v128.load(s, 16);
    // X = E - i W O, W = c - i s:  re = Er - s Or + c Oi,  im = Ei - s Oi - c Or
    const out = spectrum + (<usize>k << 5);
    v128.store(out, f32x4.add(er, f32x4.sub(f32x4.mul(c, oi), f32x4.mul(sn, or))));
    v128.store(out, f32x4.sub(ei, f32x4.add(f32x4.mul(sn, oi), f32x4.mul(c, or))), 16);
  }
}

// Inverse real FFT of 4 frames (numpy's irfft: imaginary parts of bins 0 and N/2 ignored,
// scaled by 1/N): spectrum (bins 0..N/2) -> samples.
export function irfft4(spectrum: usize, samples: usize, work: usize, n: i32, tw: usize, split: usize, bitrev: usize): void {
  const m = n >> 1;
  const half = f32x4.splat(0.5);
  const zero = f32x4.splat(0.0);
  const scale = f32x4.splat(<f32>(1.0 / <f64>m));
  for (let k = 0; k < m; k++) {
    const a = spectrum + (<usize>k << 5);
    const b = spectrum + (<usize>(m - k) << 5);
    const ar = v128.load(a);
    const ai = k == 0 ? zero : v128.load(a, 16);
    const br = v128.load(b);
    const bi = k == 0 ? zero : f32x4.neg(v128.load(b, 16)); // conj(X[M-k]); X[M].im ignored
    const er = f32x4.mul(half, f32x4.add(ar, br));
    const ei = f32x4.mul(half, f32x4.add(ai, bi));
    const dr = f32x4.mul(half, f32x4.sub(ar, br));
    const di = f32x4.mul(half, f32x4.sub(ai, bi));
    const s = split + (<usize>k << 5);
    const c = v128.load(s);
    const sn = v128.load(s, 16);
    // O = D e^{+2 pi i k/N} = D (c + i s);  Z = E + i O
    const or = f32x4.sub(f32x4.mul(dr, c), f32x4.mul(di, sn));
    const oi = f32x4.add(f32x4.mul(dr, sn), f32x4.mul(di, c));
    const dst = work + (<usize>load<i32>(bitrev + (<usize>k << 2)) << 5);
    v128.store(dst, f32x4.sub(er, oi));
    v128.store(dst, f32x4.add(ei, or), 16);
  }
  fftInPlace(work, m, tw, true);
  for (let j = 0; j < m; j++) {
    const src = work + (<usize>j << 5);
    const dst = samples + (<usize>j << 5);
    v128.store(dst, f32x4.mul(v128.load(src), scale));
    v128.store(dst, f32x4.mul(v128.load(src, 16), scale), 16);
  }
}

// Whole STFT: frames of `signal` (already padded) at `hop`, windowed, four per rfft4 call, written
// frame-major to outRe / outIm (nBins = n/2 + 1 floats per frame). `samples`/`spectrum`/`work`
// are rfft4's buffers.
export function stftFrames(signal: usize, nFrames: i32, hop: i32, window: usize, n: i32,
                           outRe: usize, outIm: usize,
                           samples: usize, spectrum: usize, work: usize, tw: usize, split: usize, bitrev: usize): void {
  const nBins = (n >> 1) + 1;
  for (let t0 = 0; t0 < nFrames; t0 += 4) {
    const count = min(4, nFrames - t0);
    const s0 = signal + (<usize>(t0 * hop) << 2);
    const s1 = signal + (<usize>(min(t0 + 1, nFrames - 1) * hop) << 2);
    const s2 = signal + (<usize>(min(t0 + 2, nFrames - 1) * hop) << 2);
    const s3 = signal + (<usize>(min(t0 + 3, nFrames - 1) * hop) << 2);
    for (let j = 0; j < n; j++) {
      const o = <usize>j << 2;
      let v = f32x4.splat(load<f32>(s0 + o));
      v = f32x4.replace_lane(v, 1, load<f32>(s1 + o));
      v = f32x4.replace_lane(v, 2, load<f32>(s2 + o));
      v = f32x4.replace_lane(v, 3, load<f32>(s3 + o));
      v128.store(samples + (<usize>j << 4), f32x4.mul(v, f32x4.splat(load<f32>(window + o))));
    }
    rfft4(samples, spectrum, work, n, tw, split, bitrev);
    for (let f = 0; f < count; f++) {
      const base = <usize>((t0 + f) * nBins) << 2;
      const lane = <usize>f << 2;
      for (let k = 0; k < nBins; k++) {
        const src = spectrum + (<usize>k << 5) + lane;
        const dst = base + (<usize>k << 2);
        store<f32>(outRe + dst, load<f32>(src));
        store<f32>(outIm + dst, load<f32>(src, 16));
      }
    }
  }
}

// Whole inverse STFT: frames of re/im (frame-major, nBins each) inverse-transformed four at a
// time (numpy irfft), windowed, overlap-added into the float32 buffer `y` (pre-zeroed, length
// n + hop * (nFrames - 1)).
export function istftFrames(re: usize, im: usize, nFrames: i32, hop: i32, window: usize, n: i32, y: usize,
                            samples: usize, spectrum: usize, work: usize, tw: usize, split: usize, bitrev: usize): void {
  const nBins = (n >> 1) + 1;
  for (let t0 = 0; t0 < nFrames; t0 += 4) {
    const count = min(4, nFrames - t0);
    const b0 = <usize>(t0 * nBins) << 2;
    const b1 = <usize>(min(t0 + 1, nFrames - 1) * nBins) << 2;
    const b2 = <usize>(min(t0 + 2, nFrames - 1) * nBins) << 2;
    const b3 = <usize>(min(t0 + 3, nFrames - 1) * nBins) << 2;
    for (let k = 0; k < nBins; k++) {
      const o = <usize>k << 2;
      let r = f32x4.splat(load<f32>(re + b0 + o));
      r = f32x4.replace_lane(r, 1, load<f32>(re + b1 + o));
      r = f32x4.replace_lane(r, 2, load<f32>(re + b2 + o));
      r = f32x4.replace_lane(r, 3, load<f32>(re + b3 + o));
      let i = f32x4.splat(load<f32>(im + b0 + o));
      i = f32x4.replace_lane(i, 1, load<f32>(im + b1 + o));
      i = f32x4.replace_lane(i, 2, load<f32>(im + b2 + o));
      i = f32x4.replace_lane(i, 3, load<f32>(im + b3 + o));
      const dst = spectrum + (<usize>k << 5);
      v128.store(dst, r);
      v128.store(dst, i, 16);
    }
    irfft4(spectrum, samples, work, n, tw, split, bitrev);
    for (let f = 0; f < count; f++) {
      const out = y + (<usize>((t0 + f) * hop) << 2);
      const lane = <usize>f << 2;
      for (let j = 0; j < n; j++) {
        const o = <usize>j << 2;
        const p = out + o;
        store<f32>(p, load<f32>(p) + load<f32>(window + o) * load<f32>(samples + (<usize>j << 4) + lane));
      }
    }
  }
}
