/**
 * Time stretch and pitch shift as librosa 0.9.2 does them. Pure: no Deno APIs.
 *
 * `timeStretch` = STFT (n_fft 2048, hop 512) -> phase vocoder -> inverse STFT, the length set to
 * `round(n / rate)`. `pitchShift` = time stretch by 2^(-steps/12), then resample from
 * `sr / rate` back to `sr` (resampy's kaiser_best) and crop to the input length.
 *
 * Two phase vocoders:
 * - `fast` (default) advances each bin's phase as a unit phasor, multiplying by
 *   `X[t+1] conj(X[t]) / |..|`: the same phase advance librosa computes with angles, wrapped and
 *   re-added, but with no atan2/sin/cos, about 9x faster. It does not reproduce librosa's
 *   float32 rounding of the accumulated phase (which reaches 2e5 rad at high bins, where a
 *   float32 ulp is 0.016 rad), so it sits ~50 dB (waveform SNR) from librosa's output.
 * - `librosa` follows librosa's arithmetic, complex64 STFT, float32 angles and accumulator,
 *   rounding at the same points (Math.fround): ~90 dB from librosa's output. Used to show where
 *   the fast vocoder's difference comes from, and for anyone who needs the closer match.
 */
import { istft, type PadMode, type Spectrogram, stft } from "../features/stft.ts";
import { resample } from "../audio/resample.ts";
import { createVocoderKernel, type VocoderKernel } from "./vocoder_wasm.ts";

export interface StftShape {
  nFft: number;
  hopLength: number;
  padMode: PadMode;
  vocoder: VocoderMode;
}

export const LIBROSA_STFT: StftShape = {
  nFft: 2048,
  hopLength: 512,
  padMode: "constant",
  vocoder: "fast",
};

const f32 = Math.fround;

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export type VocoderMode = "fast" | "librosa";

/** `librosa.phase_vocoder(D, rate, hop_length)`: magnitudes interpolated, phases advanced. */
export function phaseVocoder(
  spec: Spectrogram,
  rate: number,
  hopLength: number,
  mode: VocoderMode = "fast",
): Spectrogram {
  if (mode === "librosa") return vocoderLibrosa(spec, rate, hopLength);
  const kernel = vocoderKernel();
  return kernel ? kernel(spec, timeSteps(spec.nFrames, rate)) : vocoderPhasor(spec, rate);
}

let kernelCache: VocoderKernel | null | undefined;

function vocoderKernel(): VocoderKernel | null {
  if (kernelCache === undefined) kernelCache = createVocoderKernel();
  return kernelCache;
}

/** librosa's time steps: `np.arange(0, nFrames, rate)`. */
function timeSteps(nFrames: number, rate: number): number[] {
  const steps: number[] = [];
  for (let k = 0; k * rate < nFrames; k++) steps.push(k * rate);
  return steps;
}

/** The fast vocoder in plain JS (double): the fallback, and the reference its kernel is tested against. */
export function vocoderPhasor(spec: Spectrogram, rate: number): Spectrogram {
  const { nBins, nFrames } = spec;
  const steps = timeSteps(nFrames, rate);
  const nOut = steps.length;
  const re = new Float64Array(nOut * nBins);
  const im = new Float64Array(nOut * nBins);
  // Per input frame: magnitude, and the rotation from its phase to the next frame's,
  // u[c+1] * conj(u[c]) with u = X / |X| (a zero bin has angle 0, phasor 1, as np.angle(0)).
  // The two zero frames librosa pads with are frames nFrames and nFrames + 1.
  const size = (nFrames + 2) * nBins;
  const mag = new Float64Array(size);
  const ur = new Float64Array(size).fill(1);
  const ui = new Float64Array(size);
  for (let i = 0; i < nFrames * nBins; i++) {
    const r = spec.re[i];
    const m = spec.im[i];
    const a = Math.sqrt(r * r + m * m);
    mag[i] = a;
    if (a > 0) {
      ur[i] = r / a;
      ui[i] = m / a;
    }
  }
  const rotR = new Float64Array((nFrames + 1) * nBins);
  const rotI = new Float64Array((nFrames + 1) * nBins);
  for (let i = 0; i < rotR.length; i++) {
    const j = i + nBins;
    rotR[i] = ur[j] * ur[i] + ui[j] * ui[i];
    rotI[i] = ui[j] * ur[i] - ur[j] * ui[i];
  }
  const pr = ur.slice(0, nBins);
  const pi = ui.slice(0, nBins);
  for (let t = 0; t < nOut; t++) {
    const step = steps[t];
    const c0 = Math.trunc(step) * nBins;
    const c1 = c0 + nBins;
    const alpha = step % 1;
    const base = t * nBins;
    for (let k = 0; k < nBins; k++) {
      const m = (1 - alpha) * mag[c0 + k] + alpha * mag[c1 + k];
      const a = pr[k];
      const b = pi[k];
      re[base + k] = m * a;
      im[base + k] = m * b;
      const dr = rotR[c0 + k];
      const di = rotI[c0 + k];
      const nr = a * dr - b * di;
      const ni = a * di + b * dr;
      const inv = 1 / Math.sqrt(nr * nr + ni * ni); // renormalise: no drift in magnitude
      pr[k] = nr * inv;
      pi[k] = ni * inv;
    }
  }
  return { nFrames: nOut, nBins, re, im };
}

function vocoderLibrosa(spec: Spectrogram, rate: number, hopLength: number): Spectrogram {
  const { nBins, nFrames } = spec;
  const steps = timeSteps(nFrames, rate);
  const nOut = steps.length;
  const re = new Float64Array(nOut * nBins);
  const im = new Float64Array(nOut * nBins);
  // Per input frame: float32 magnitude and phase, as np.abs / np.angle give for complex64.
  const mag = new Float64Array((nFrames + 2) * nBins);
  const ang = new Float64Array((nFrames + 2) * nBins);
  for (let i = 0; i < nFrames * nBins; i++) {
    const r = f32(spec.re[i]);
    const m = f32(spec.im[i]);
    mag[i] = f32(Math.hypot(r, m));
    ang[i] = f32(Math.atan2(m, r));
  }
  const phiAdvance = new Float64Array(nBins);
  for (let k = 0; k < nBins; k++) phiAdvance[k] = (Math.PI * hopLength * k) / (nBins - 1);
  const phase = new Float64Array(nBins);
  for (let k = 0; k < nBins; k++) phase[k] = ang[k];
  const twoPi = 2 * Math.PI;
  for (let t = 0; t < nOut; t++) {
    const step = steps[t];
    const c0 = Math.trunc(step) * nBins;
    const c1 = c0 + nBins;
    const alpha = step % 1;
    const base = t * nBins;
    for (let k = 0; k < nBins; k++) {
      const m = (1 - alpha) * mag[c0 + k] + alpha * mag[c1 + k];
      re[base + k] = f32(m * f32(Math.cos(phase[k])));
      im[base + k] = f32(m * f32(Math.sin(phase[k])));
      let dphase = f32(ang[c1 + k] - ang[c0 + k]) - phiAdvance[k];
      dphase -= twoPi * roundHalfEven(dphase / twoPi);
      phase[k] = f32(phase[k] + (phiAdvance[k] + dphase));
    }
  }
  return { nFrames: nOut, nBins, re, im };
}

/** `librosa.effects.time_stretch(y, rate)`: rate < 1 slows down (longer), pitch unchanged. */
export function timeStretch(
  y: Float32Array,
  rate: number,
  shape: StftShape = LIBROSA_STFT,
): Float32Array {
  if (!(rate > 0) || !Number.isFinite(rate)) {
    throw new Error(`time stretch: rate must be positive, got ${rate}`);
  }
  // The librosa-exact vocoder wants librosa's double-precision STFT, not the float32 batch FFT.
  const exact = shape.vocoder === "librosa";
  const engine = exact ? "js" : "auto";
  const spec = stft(y, {
    nFft: shape.nFft,
    hopLength: shape.hopLength,
    center: true,
    padMode: shape.padMode,
    engine,
    output: exact ? "f64" : "f32",
  });
  const stretched = phaseVocoder(spec, rate, shape.hopLength, shape.vocoder);
  return istft(stretched, shape.nFft, shape.hopLength, roundHalfEven(y.length / rate), engine);
}

/** `librosa.effects.pitch_shift(y, sr, n_steps)`: same length, pitch moved by `nSteps` semitones. */
export function pitchShift(
  y: Float32Array,
  sampleRateHz: number,
  nSteps: number,
  shape: StftShape = LIBROSA_STFT,
): Float32Array {
  if (nSteps === 0) return y.slice();
  const rate = 2 ** (-nSteps / 12);
  const stretched = timeStretch(y, rate, shape);
  const shifted = resample(stretched, sampleRateHz / rate, sampleRateHz, "kaiser_best");
  const out = new Float32Array(y.length);
  out.set(shifted.subarray(0, Math.min(y.length, shifted.length)));
  return out;
}
