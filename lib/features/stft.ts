/**
 * Short-time Fourier transform with librosa's framing: periodic Hann window of `nFft`, hop
 * `hopLength`, frames centred by padding `nFft/2` on both sides. librosa 0.9 pads with zeros
 * (`pad_mode='constant'`, its default since 0.9.0); `reflect` is available for older recipes.
 *
 * Pure: no Deno APIs. Spectra are frame-major: frame t occupies `[t*nBins, (t+1)*nBins)`.
 */
import FFT from "fft.js";
import { createRealFft4, type RealFft4 } from "../wasm/real_fft.ts";

export type PadMode = "constant" | "reflect" | "edge";

export interface StftOptions {
  nFft: number;
  hopLength: number;
  center: boolean;
  padMode: PadMode;
  /** `auto`: the WebAssembly batch FFT where available (float32, ~4x faster); `js`: fft.js (double). */
  engine?: FftEngine;
  /** Element type of the result; float32 halves the memory traffic where double is not needed. */
  output?: "f64" | "f32";
}

export type FftEngine = "auto" | "js";

export interface Spectrogram {
  nFrames: number;
  /** nFft/2 + 1: librosa keeps the Nyquist bin (meyda drops it). */
  nBins: number;
  /** Real and imaginary parts, frame-major. */
  re: Float64Array | Float32Array;
  im: Float64Array | Float32Array;
}

/**
 * Periodic ("fftbins=True") Hann window, as `scipy.signal.get_window('hann', n)`. Meyda's
 * window is the symmetric one, which shifts every spectral value slightly.
 */
export function hannPeriodic(n: number): Float64Array {
  let w = hannCache.get(n);
  if (!w) {
    w = new Float64Array(n);
    for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    hannCache.set(n, w);
  }
  return w;
}

const hannCache = new Map<number, Float64Array>();

/** `np.pad(y, (pad, pad), mode)` for the three modes librosa uses. */
export function padSignal(y: ArrayLike<number>, pad: number, mode: PadMode): Float64Array {
  const n = y.length;
  const out = new Float64Array(n + 2 * pad);
  for (let i = 0; i < n; i++) out[pad + i] = y[i];
  if (mode === "constant" || n === 0) return out;
  for (let i = 1; i <= pad; i++) {
    if (mode === "edge") {
      out[pad - i] = y[0];
      out[pad + n - 1 + i] = y[n - 1];
    } else {
      // numpy's reflect (no edge repeat), folding back and forth for pads longer than n.
      out[pad - i] = y[reflectIndex(-i, n)];
      out[pad + n - 1 + i] = y[reflectIndex(n - 1 + i, n)];
    }
  }
  return out;
}

function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let k = ((i % period) + period) % period;
  if (k >= n) k = period - k;
  return k;
}

/** Number of frames librosa produces for `n` samples. */
export function frameCount(n: number, nFft: number, hopLength: number, center: boolean): number {
  const padded = center ? n + 2 * Math.floor(nFft / 2) : n;
  if (padded < nFft) return 0;
  return 1 + Math.floor((padded - nFft) / hopLength);
}

const fftCache = new Map<number, FFT>();

const batchCache = new Map<number, RealFft4 | null>();

/** The cached four-frame WebAssembly FFT of a size, or null where wasm SIMD is missing. */
export function batchFftOf(size: number, engine: FftEngine = "auto"): RealFft4 | null {
  if (engine === "js") return null;
  if (!batchCache.has(size)) batchCache.set(size, createRealFft4(size));
  return batchCache.get(size)!;
}

/** A cached fft.js plan per size. */

export function fftOf(size: number): FFT {
  let f = fftCache.get(size);
  if (!f) {
    f = new FFT(size);
    fftCache.set(size, f);
  }
  return f;
}

/** One-sided complex STFT of a real signal. */
export function stft(y: ArrayLike<number>, opts: StftOptions): Spectrogram {
  const { nFft, hopLength } = opts;
  if (y.length === 0) throw new Error("stft: empty signal");
  const nFrames = frameCount(y.length, nFft, hopLength, opts.center);
  if (nFrames < 1) {
    throw new Error(`stft: signal of ${y.length} samples is shorter than n_fft=${nFft}`);
  }
  const nBins = nFft / 2 + 1;
  const window = hannPeriodic(nFft);
  const pad = opts.center ? Math.floor(nFft / 2) : 0;
  const batch = batchFftOf(nFft, opts.engine);
  if (batch) {
    // Zero padding is written straight into the kernel's buffer; other modes pad here first.
    const { re, im } = pad === 0 || opts.padMode === "constant"
      ? batch.stft(y, nFrames, hopLength, window, pad)
      : batch.stft(padSignal(y, pad, opts.padMode), nFrames, hopLength, window);
    if (opts.output === "f32") return { nFrames, nBins, re, im };
    return { nFrames, nBins, re: Float64Array.from(re), im: Float64Array.from(im) };
  }
  const padded = pad ? padSignal(y, pad, opts.padMode) : Float64Array.from(y);
  const re = new Float64Array(nFrames * nBins);
  const im = new Float64Array(nFrames * nBins);
  const fft = fftOf(nFft);
  const frame = new Float64Array(nFft);
  const spec = new Float64Array(2 * nFft);
  for (let t = 0; t < nFrames; t++) {
    const start = t * hopLength;
    for (let i = 0; i < nFft; i++) frame[i] = padded[start + i] * window[i];
    fft.realTransform(spec, frame);
    const base = t * nBins;
    for (let k = 0; k < nBins; k++) {
      re[base + k] = spec[2 * k];
      im[base + k] = spec[2 * k + 1];
    }
  }
  return { nFrames, nBins, re, im };
}

/** |X|^power per bin, frame-major. */
export function spectrumPower(spec: Spectrogram, power: 1 | 2): Float64Array {
  const out = new Float64Array(spec.re.length);
  for (let i = 0; i < out.length; i++) {
    const p = spec.re[i] * spec.re[i] + spec.im[i] * spec.im[i];
    out[i] = power === 2 ? p : Math.sqrt(p);
  }
  return out;
}

const f32 = Math.fround;

/**
 * `librosa.istft(D, length=...)`: inverse FFT per frame, periodic Hann, overlap-add (float32
 * buffer), divided by the summed squared window where it is non-zero, centre trimmed.
 */
export function istft(
  spec: Spectrogram,
  nFft: number,
  hopLength: number,
  length: number,
  engine: FftEngine = "auto",
): Float32Array {
  const { nBins } = spec;
  const nFrames = Math.min(spec.nFrames, Math.ceil((length + nFft) / hopLength));
  const total = nFft + hopLength * (nFrames - 1);
  const window = hannPeriodic(nFft);
  const batch = batchFftOf(nFft, engine);
  // The kernel returns the overlap-added buffer itself; the fallback fills a fresh one.
  const y = batch
    ? batch.istft(spec.re, spec.im, nFrames, hopLength, window)
    : new Float32Array(total);
  if (!batch) {
    const fft = fftOf(nFft);
    const freq = new Float64Array(2 * nFft);
    const time = new Float64Array(2 * nFft);
    // Two real frames per complex inverse FFT: x1 + i*x2 = IFFT(X1 + i*X2) when x1, x2 are real.
    for (let t = 0; t < nFrames; t += 2) {
      const a = t * nBins;
      const hasB = t + 1 < nFrames;
      const b = (t + 1) * nBins;
      for (let k = 0; k < nBins; k++) {
        // numpy's irfft ignores the imaginary parts of the DC and Nyquist bins.
        const edge = k === 0 || k === nBins - 1;
        const ar = f32(spec.re[a + k]);
        const ai = edge ? 0 : f32(spec.im[a + k]);
        const br = hasB ? f32(spec.re[b + k]) : 0;
        const bi = hasB && !edge ? f32(spec.im[b + k]) : 0;
        // Z = A + iB at bin k; at the mirrored bin, conj(A) + i conj(B).
        freq[2 * k] = ar - bi;
        freq[2 * k + 1] = ai + br;
        if (!edge) {
          const m = nFft - k;
          freq[2 * m] = ar + bi;
          freq[2 * m + 1] = -ai + br;
        }
      }
      fft.inverseTransform(time, freq);
      overlapAdd(y, time, window, t * hopLength, 0);
      if (hasB) overlapAdd(y, time, window, (t + 1) * hopLength, 1);
    }
  }
  const wsum = windowSumSquare(window, nFrames, hopLength);
  const tiny = 1.1754943508222875e-38;
  for (let i = 0; i < total; i++) if (wsum[i] > tiny) y[i] = y[i] / wsum[i];
  const out = new Float32Array(length);
  const start = Math.floor(nFft / 2);
  out.set(y.subarray(start, Math.min(total, start + length)));
  return out;
}

/** Adds one windowed frame (real or imaginary lane `part` of `time`) into the float32 buffer. */
function overlapAdd(
  y: Float32Array,
  time: Float64Array,
  window: Float64Array,
  start: number,
  part: 0 | 1,
): void {
  for (let i = 0; i < window.length; i++) y[start + i] += window[i] * time[2 * i + part];
}

const wssCache = new Map<string, Float32Array>();

/** `librosa.filters.window_sumsquare` (float32), cached: every clip of a length shares it. */
function windowSumSquare(window: Float64Array, nFrames: number, hopLength: number): Float32Array {
  const key = `${window.length}:${nFrames}:${hopLength}`;
  let x = wssCache.get(key);
  if (!x) {
    x = new Float32Array(window.length + hopLength * (nFrames - 1));
    for (let t = 0; t < nFrames; t++) {
      for (let i = 0; i < window.length; i++) x[t * hopLength + i] += window[i] * window[i];
    }
    wssCache.set(key, x);
  }
  return x;
}
