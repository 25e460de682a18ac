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
