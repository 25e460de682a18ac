/**
 * Prosody per frame: what listeners hear as arousal and much of emotion, and what the spectral
 * inputs leave implicit. Pitch (YIN, as `librosa.yin` computes it), its periodicity and a
 * harmonics-to-noise-like ratio, loudness, zero crossings, spectral flux and three measures of
 * spectral tilt (slope, alpha ratio, Hammarberg index: the eGeMAPS tilt family), plus the frame
 * deltas of pitch and loudness. Frames are the STFT's (centred, `hopLength` apart), so the
 * result sits beside the log-mel and MFCC sequences frame for frame. Pure: no Deno APIs.
 */

import { fftOf } from "./stft.ts";

/** The prosody columns of each frame, in order. */
export const PROSODY_COLUMNS = [
  "f0 (semitones re 55 Hz, 0 unvoiced)",
  "periodicity (1 - YIN aperiodicity)",
  "voiced (0/1)",
  "harmonics-to-noise (dB)",
  "loudness (dB re full scale)",
  "zero-crossing rate",
  "spectral flux",
  "spectral slope 0-5 kHz (dB/kHz)",
  "alpha ratio (dB)",
  "Hammarberg index (dB)",
  "delta f0",
  "delta loudness",
] as const;
export const PROSODY_DIM = PROSODY_COLUMNS.length;

/** Settings of `yinTrack`, as `librosa.yin` takes them. */
export interface YinOptions {
  /** Lowest pitch searched, Hz. */
  fminHz: number;
  /** Highest pitch searched, Hz. */
  fmaxHz: number;
  /** Samples per analysis frame (librosa's `frame_length`). */
  frameLength: number;
  /** Samples between frames. */
  hopLength: number;
  /** A trough of the normalised difference below this counts as a period (librosa's 0.1). */
  troughThreshold: number;
}

/** Pitch per frame by YIN, with how periodic each frame is. */
export interface YinTrack {
  /** Hz per frame; NaN where no trough fell under the threshold (unvoiced). */
  f0Hz: Float64Array;
  /** The normalised difference at the chosen period (0: perfectly periodic, ~1: noise). */
  aperiodicity: Float64Array;
  /** Frame f0Hz[t] would be, if taken where no trough is under the threshold (librosa.yin). */
  yinHz: Float64Array;
}

/**
 * YIN (de Cheveigné & Kawahara 2002) frame by frame, as `librosa.yin(center=True,
 * pad_mode="constant")` does it: frames of `frameLength` centred on `t * hopLength`, the
 * difference function over the first `frameLength / 2` samples, cumulative-mean normalisation,
 * the first trough under `troughThreshold` (else the global minimum), parabolic refinement.
 * `yinHz` is librosa.yin's answer for every frame; `f0Hz` keeps only thresholded troughs.
 */
export function yinTrack(y: Float32Array, sampleRateHz: number, o: YinOptions): YinTrack {
  const N = o.frameLength;
  const W = Math.floor(N / 2);
  const minPeriod = Math.max(Math.floor(sampleRateHz / o.fmaxHz), 1);
  const maxPeriod = Math.min(Math.ceil(sampleRateHz / o.fminHz), N - W - 1);
  if (minPeriod >= maxPeriod) {
    throw new Error(`yin: fmin ${o.fminHz} Hz / fmax ${o.fmaxHz} Hz leave no periods to search`);
  }
  const nFrames = 1 + Math.floor(y.length / o.hopLength);
  const half = Math.floor(N / 2);
  const frame = new Float64Array(N);
  const head = new Float64Array(N);
  const fft = fftOf(N);
  const specA = fft.createComplexArray() as number[];
  const specB = fft.createComplexArray() as number[];
  const prod = fft.createComplexArray() as number[];
  const acf = fft.createComplexArray() as number[];
  const energy = new Float64Array(N + 1);
  const d = new Float64Array(maxPeriod + 1);
  const cmnd = new Float64Array(maxPeriod + 1);
  const f0Hz = new Float64Array(nFrames);
  const yinHz = new Float64Array(nFrames);
  const aperiodicity = new Float64Array(nFrames);
  for (let t = 0; t < nFrames; t++) {
    const start = t * o.hopLength - half;
    for (let i = 0; i < N; i++) {
      const j = start + i;
      frame[i] = j >= 0 && j < y.length ? y[j] : 0;
    }
    // d(tau) = sum_{j<W} (x_j - x_{j+tau})^2 = E(0) + E(tau) - 2 r(tau), with the windowed
    // energies E from a running sum and the lagged products r from one FFT correlation (no
    // wrap-around: j + tau < W + maxPeriod < N).
    for (let i = 0; i < N; i++) energy[i + 1] = energy[i] + frame[i] * frame[i];
    head.fill(0);
    head.set(frame.subarray(0, W));
    fft.realTransform(specA, frame);
    fft.completeSpectrum(specA);
    fft.realTransform(specB, head);
    fft.completeSpectrum(specB);
    for (let k = 0; k < N; k++) {
      const [ar, ai, br, bi] = [specA[2 * k], specA[2 * k + 1], specB[2 * k], specB[2 * k + 1]];
      prod[2 * k] = ar * br + ai * bi; // A * conj(B)
      prod[2 * k + 1] = ai * br - ar * bi;
    }
    fft.inverseTransform(acf, prod);
    const e0 = energy[W];
    for (let tau = 1; tau <= maxPeriod; tau++) {
      const r = acf[2 * tau];
      d[tau] = Math.max(0, e0 + (energy[tau + W] - energy[tau]) - 2 * r);
    }
    let running = 0;
    for (let tau = 1; tau <= maxPeriod; tau++) {
      running += d[tau];
      // librosa adds the smallest normal float to the denominator: silence gives 0, not NaN.
      cmnd[tau] = d[tau] / (running / tau + 1e-300);
    }
    // The first trough (local minimum) under the threshold, else the global minimum.
    let pick = -1;
    let globalMin = minPeriod;
    for (let tau = minPeriod; tau <= maxPeriod; tau++) {
      if (cmnd[tau] < cmnd[globalMin]) globalMin = tau;
      if (pick >= 0) continue;
      const left = tau === minPeriod ? Infinity : cmnd[tau - 1];
      const right = tau === maxPeriod ? Infinity : cmnd[tau + 1];
      const trough = tau === minPeriod ? cmnd[tau] < right : cmnd[tau] < left && cmnd[tau] <= right;
      if (trough && cmnd[tau] < o.troughThreshold) pick = tau;
    }
    const tau = pick >= 0 ? pick : globalMin;
    let shift = 0;
    if (tau > minPeriod && tau < maxPeriod) {
      const a = (cmnd[tau - 1] + cmnd[tau + 1] - 2 * cmnd[tau]) / 2;
      const b = (cmnd[tau + 1] - cmnd[tau - 1]) / 2;
      shift = -b / (2 * a + 1e-300);
      if (!(Math.abs(shift) <= 1)) shift = 0;
    }
    yinHz[t] = sampleRateHz / (tau + shift);
    f0Hz[t] = pick >= 0 ? yinHz[t] : NaN;
    aperiodicity[t] = Math.min(1, Math.max(0, cmnd[tau]));
  }
  return { f0Hz, aperiodicity, yinHz };
}

/** The pitch search speech needs: C2 (65.4 Hz) to 1 kHz, librosa.yin's other defaults. */
export const SPEECH_YIN = { fminHz: 65.4, fmaxHz: 1000, troughThreshold: 0.1 } as const;

/**
 * Frame-major `[nFrames][PROSODY_DIM]` prosody of `y`, on the STFT's frames. `power` is the
 * clip's power spectrogram (frame-major `[nFrames][nBins]`, as `spectrumPower` gives it) and `rms`
 * and `zcr` its frame RMS and ZCR, so nothing is computed twice.
 */
export function prosodyFrames(
  y: Float32Array,
  sampleRateHz: number,
  nFft: number,
  hopLength: number,
  power: Float64Array,
  rms: Float64Array,
  zcr: Float64Array,
): Float32Array {
  const nFrames = rms.length;
  const nBins = power.length / nFrames;
  const yin = yinTrack(y, sampleRateHz, { ...SPEECH_YIN, frameLength: nFft, hopLength });
  const out = new Float32Array(nFrames * PROSODY_DIM);
  const hzPerBin = sampleRateHz / nFft;
  const bin = (hz: number) => Math.min(nBins - 1, Math.round(hz / hzPerBin));
  const [b50, b1k, b2k, b5k] = [bin(50), bin(1000), bin(2000), bin(5000)];
  // Regression abscissa (kHz) for the slope, centred once.
  let meanKhz = 0;
  for (let k = 0; k <= b5k; k++) meanKhz += (k * hzPerBin) / 1000;
  meanKhz /= b5k + 1;
  let sxx = 0;
  for (let k = 0; k <= b5k; k++) sxx += ((k * hzPerBin) / 1000 - meanKhz) ** 2;
  const f0 = new Float64Array(nFrames);
  const loud = new Float64Array(nFrames);
  // This frame's unit-norm magnitudes and the last frame's, swapped each frame.
  let unit = new Float64Array(nBins);
  let prev = new Float64Array(nBins);
  const db = (p: number) => 10 * Math.log10(p + 1e-10);
  for (let t = 0; t < nFrames; t++) {
    const o = t * PROSODY_DIM;
    const hz = yin.f0Hz[t];
    const voiced = Number.isFinite(hz) && rms[t] > 1e-4;
    f0[t] = voiced ? 12 * Math.log2(hz / 55) : 0;
    const a = Math.max(1e-3, yin.aperiodicity[t]);
    loud[t] = 20 * Math.log10(rms[t] + 1e-5);
    // Spectral tilt and flux from the frame's spectrum.
    let norm2 = 0;
    for (let k = 0; k < nBins; k++) norm2 += power[t * nBins + k];
    const norm = Math.sqrt(norm2) + 1e-12;
    for (let k = 0; k < nBins; k++) unit[k] = Math.sqrt(power[t * nBins + k]) / norm;
    let flux = 0;
    if (t > 0) {
      for (let k = 0; k < nBins; k++) flux += (unit[k] - prev[k]) ** 2;
    }
    [prev, unit] = [unit, prev];
    let sxy = 0, meanDb = 0;
    for (let k = 0; k <= b5k; k++) meanDb += db(power[t * nBins + k]);
    meanDb /= b5k + 1;
    for (let k = 0; k <= b5k; k++) {
      sxy += ((k * hzPerBin) / 1000 - meanKhz) * (db(power[t * nBins + k]) - meanDb);
    }
    let low = 0, high = 0, maxLow = 0, maxHigh = 0;
    for (let k = b50; k < b1k; k++) low += power[t * nBins + k];
    for (let k = b1k; k <= b5k; k++) high += power[t * nBins + k];
    for (let k = 0; k < b2k; k++) maxLow = Math.max(maxLow, power[t * nBins + k]);
    for (let k = b2k; k <= b5k; k++) maxHigh = Math.max(maxHigh, power[t * nBins + k]);
    // Digital silence is "periodic" to YIN (0 / 0); below the floor it counts as noise.
    const audible = rms[t] > 1e-4;
    out[o] = f0[t];
    out[o + 1] = audible ? 1 - yin.aperiodicity[t] : 0;
    out[o + 2] = voiced ? 1 : 0;
    out[o + 3] = audible ? Math.max(-10, Math.min(30, 10 * Math.log10((1 - a) / a + 1e-10))) : -10;
    out[o + 4] = loud[t];
    out[o + 5] = zcr[t];
    out[o + 6] = Math.sqrt(flux);
    out[o + 7] = sxy / sxx;
    out[o + 8] = db(low) - db(high);
    out[o + 9] = db(maxLow) - db(maxHigh);
  }
  // Deltas as simple centred differences (pitch only between voiced neighbours).
  for (let t = 0; t < nFrames; t++) {
    const p = Math.max(0, t - 1), n = Math.min(nFrames - 1, t + 1);
    const o = t * PROSODY_DIM;
    const bothVoiced = f0[p] > 0 && f0[n] > 0;
    out[o + 10] = bothVoiced && n > p ? (f0[n] - f0[p]) / (n - p) : 0;
    out[o + 11] = n > p ? (loud[n] - loud[p]) / (n - p) : 0;
  }
  return out;
}

/** What a frame of digital silence gives: the padding of sequences shorter than the window. */
export function silentProsodyFrame(): Float32Array {
  const f = new Float32Array(PROSODY_DIM);
  f[3] = -10;
  f[4] = -100;
  return f;
}
