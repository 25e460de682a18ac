/** Feature DSP on small synthetic signals: what each feature should say about a known input. */
import { assert, assertAlmostEquals, assertEquals } from "./assert.ts";
import { frameCount, hannPeriodic, padSignal, spectrumPower, stft } from "../lib/features/stft.ts";
import {
  applyFilterBank,
  chromaFilterBank,
  hzToMel,
  melFilterBank,
  melToHz,
} from "../lib/features/filters.ts";
import { delta, pitchTuning, rmsEnergy, zeroCrossingRate } from "../lib/features/spectral.ts";
import { clipVectorLength, createFeatureExtractor } from "../lib/features/extract.ts";
import { DEFAULT_CONFIG } from "../lib/config/config.ts";
import { tone } from "./helpers.ts";

const SR = 22050;

Deno.test("stft: frames like librosa (1 + n // hop when centred) and finds a tone's bin", () => {
  assertEquals(frameCount(55125, 2048, 512, true), 108);
  assertEquals(frameCount(22050, 2048, 512, true), 44);
  const bin = 100;
  const y = tone(8192, (bin * SR) / 2048, SR);
  const spec = stft(y, { nFft: 2048, hopLength: 512, center: true, padMode: "constant" });
  assertEquals(spec.nBins, 1025);
  const p = spectrumPower(spec, 2);
  const mid = 8 * spec.nBins;
  let best = 0;
  for (let k = 0; k < spec.nBins; k++) if (p[mid + k] > p[mid + best]) best = k;
  assertEquals(best, bin);
});

Deno.test("stft: the periodic Hann window and numpy's pad modes", () => {
  const w = hannPeriodic(4);
  assertEquals(Array.from(w).map((x) => +x.toFixed(12)), [0, 0.5, 1, 0.5]);
  assertEquals(Array.from(padSignal([1, 2, 3], 2, "reflect")), [3, 2, 1, 2, 3, 2, 1]);
  assertEquals(Array.from(padSignal([1, 2, 3], 2, "edge")), [1, 1, 1, 2, 3, 3, 3]);
  assertEquals(Array.from(padSignal([1, 2, 3], 1, "constant")), [0, 1, 2, 3, 0]);
});

Deno.test("mel: the Slaney scale is linear to 1 kHz, and each filter has unit area", () => {
  assertAlmostEquals(hzToMel(500), 7.5, 1e-12);
  assertAlmostEquals(melToHz(hzToMel(3000)), 3000, 1e-9);
  const bank = melFilterBank(SR, 2048, 128);
  assertEquals(bank.nFilters, 128);
  // Slaney normalisation: sum of weights x bin width (Hz) ~= 2 / bandwidth x bandwidth / 2 = 1.
  const binHz = SR / 2048;
  const areas = bank.weights.map((w) => w.reduce((a, b) => a + b, 0) * binHz);
  for (const a of areas.slice(20)) assertAlmostEquals(a, 1, 0.05);
});

Deno.test("chroma: an A4 tone lights up pitch class A (index 9 with C first)", () => {
  const y = tone(SR, 440, SR);
  const spec = stft(y, { nFft: 2048, hopLength: 512, center: true, padMode: "constant" });
  const mag = spectrumPower(spec, 1);
  const chroma = applyFilterBank(chromaFilterBank(SR, 2048, 0), mag, spec.nFrames);
  const t = 20;
  let best = 0;
  for (let c = 0; c < 12; c++) {
    if (chroma[c * spec.nFrames + t] > chroma[best * spec.nFrames + t]) best = c;
  }
  assertEquals(best, 9);
});

Deno.test("tuning: frequencies 20 cents sharp give a tuning near +0.2", () => {
  const sharp = [440, 523.25, 659.26].map((f) => f * 2 ** (0.2 / 12));
  assertAlmostEquals(pitchTuning(sharp), 0.2, 0.011);
  assertEquals(pitchTuning([]), 0);
});

Deno.test("rms and zcr: a full-scale square wave and a sine", () => {
  const n = 8192;
  const square = Float32Array.from({ length: n }, (_, i) => (Math.floor(i / 50) % 2 ? -1 : 1));
  const rms = rmsEnergy(square, 2048, 512);
  assertAlmostEquals(rms[8], 1, 1e-12); // interior frame, no padding inside
  const zcr = zeroCrossingRate(tone(n, 1000, SR), 2048, 512);
  // A 1 kHz sine crosses zero 2000 times a second: 2000 / 22050 per sample.
  assertAlmostEquals(zcr[8], 2000 / SR, 2 / 2048);
});

Deno.test("delta: the derivative of a ramp is its slope, the second of a parabola 2a, edges included", () => {
  const T = 20;
  const ramp = Float64Array.from({ length: T }, (_, t) => 3 * t + 1);
  for (const d of delta(ramp, 1, T, 1)) assertAlmostEquals(d, 3, 1e-9);
  const parabola = Float64Array.from({ length: T }, (_, t) => 0.5 * t * t - t);
  for (const d of delta(parabola, 1, T, 2)) assertAlmostEquals(d, 1, 1e-9);
});

Deno.test("extract: a clip gives the 162-vector and fixed-length frame sequences", () => {
  const cfg = DEFAULT_CONFIG.features;
  const ex = createFeatureExtractor(cfg, SR, 2.5);
  assertEquals(clipVectorLength(cfg), 162);
  assertEquals(ex.sequenceFrames, 108);
  const short = ex.extract(tone(SR, 440, SR)); // 1 s: 44 frames of audio, padded to 108
  assertEquals(short.vector.length, 162);
  assertEquals(short.sequence.validFrames, 44);
  assertEquals(short.sequence.logmel.length, 108 * cfg.sequenceMels);
  assertEquals(short.sequence.mfccDelta.length, 108 * 3 * cfg.nMfcc);
  // Padding frames are digital silence: the log-mel floor, top_db below the clip's peak.
  const lm = short.sequence.logmel;
  const max = lm.reduce((a, b) => Math.max(a, b), -Infinity);
  assertAlmostEquals(lm[107 * cfg.sequenceMels + 5], max - cfg.topDb, 1e-3);
  // Layout: ZCR first, then chroma (peak at A), MFCC, RMS, mel.
  const chroma = short.vector.subarray(1, 13);
  assertEquals(chroma.indexOf(Math.max(...chroma)), 9);
  assert(short.vector[33] > 0.3 && short.vector[33] < 0.4, `rms mean ${short.vector[33]}`);
});
