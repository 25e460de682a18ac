import { assert, assertEquals } from "./assert.ts";
import { KAISER_BEST, resample, resampleDirect } from "../lib/audio/resample.ts";
import { compileWat, moduleText, WASM_SOURCES } from "../tools/build_wasm.ts";
import { tone } from "./helpers.ts";
import { createRng } from "../lib/util/random.ts";
import { istft, spectrumPower, stft } from "../lib/features/stft.ts";
import { phaseVocoder, vocoderPhasor } from "../lib/augment/stretch.ts";
import { applyFilterBank, chromaFilterBank, melFilterBank } from "../lib/features/filters.ts";
import { createFilterKernel } from "../lib/features/filter_rows_wasm.ts";
import { snrDb } from "../lib/augment/noise.ts";

Deno.test("wasm: the committed kernels are exactly what their .wat sources compile to", async () => {
  for (const s of WASM_SOURCES) {
    const root = new URL("..", import.meta.url);
    const bytes = await compileWat(new URL(s.wat, root).pathname);
    const committed = await Deno.readTextFile(new URL(s.out, root));
    assertEquals(
      committed,
      moduleText(s.name, s.wat, bytes),
      `${s.out} is stale: run deno task build:wasm`,
    );
  }
});

Deno.test("wasm: the SIMD resampler agrees with the scalar JS reference to float32 rounding", () => {
  // Random noise exercises every phase and both signal edges.
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  const x = Float32Array.from({ length: 48000 }, rand);
  for (const [from, to] of [[48000, 22050], [48000, 16000], [16000, 22050], [44100, 22050]]) {
    const fast = resample(x, from, to);
    const ref = resample(x, from, to, "kaiser_best", "js");
    assertEquals(fast.length, ref.length);
    const snr = snrDb(ref, fast);
    assert(snr > 120, `${from}->${to}: SNR ${snr.toFixed(1)} dB`);
  }
  // Upsampling a tone also agrees (the kernel handles ratios above 1).
  const up = resample(tone(1000, 440, 16000), 16000, 48000);
  const upRef = resample(tone(1000, 440, 16000), 16000, 48000, "kaiser_best", "js");
  for (let i = 0; i < up.length; i++) assert(Math.abs(up[i] - upRef[i]) < 1e-5, `sample ${i}`);
});

function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / scale;
}

/** librosa's framing: n_fft 2048, hop 512, centred with zeros. */
const FRAMING = { nFft: 2048, hopLength: 512, center: true, padMode: "constant" as const };

function noise(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal() * 0.1);
}

Deno.test("wasm: the batch FFT's STFT matches fft.js in double to float32 precision", () => {
  const y = noise(22050, 1);
  const fast = stft(y, FRAMING);
  const ref = stft(y, { ...FRAMING, engine: "js" });
  assertEquals(fast.nFrames, ref.nFrames);
  assert(maxRelError(fast.re, ref.re) < 1e-6, `re ${maxRelError(fast.re, ref.re)}`);
  assert(maxRelError(fast.im, ref.im) < 1e-6, `im ${maxRelError(fast.im, ref.im)}`);
  // And the inverse: a round trip through both engines gives the signal back.
  const back = istft(fast, 2048, 512, y.length);
  const backRef = istft(ref, 2048, 512, y.length, "js");
  assert(maxRelError(back, y) < 1e-5, `round trip ${maxRelError(back, y)}`);
  assert(maxRelError(backRef, y) < 1e-6);
});

Deno.test("wasm: filter banks on the kernel equal the JS products", () => {
  const y = noise(22050, 2);
  const spec = stft(y, { ...FRAMING, engine: "js" });
  const power = spectrumPower(spec, 2);
  const kernel = createFilterKernel()!;
  for (const bank of [melFilterBank(22050, 2048, 128), chromaFilterBank(22050, 2048, 0.1)]) {
    const fast = kernel.apply(bank, power, spec.nFrames);
    const ref = applyFilterBank(bank, power, spec.nFrames);
    assert(maxRelError(fast, ref) < 1e-6, `${bank.nFilters} filters: ${maxRelError(fast, ref)}`);
  }
});

Deno.test("wasm: the phase vocoder kernel equals the JS phasor vocoder", () => {
  const y = noise(22050, 3);
  const spec = stft(y, { ...FRAMING, engine: "js" });
  for (const rate of [0.8, 1.25]) {
    const fast = phaseVocoder(spec, rate, 512, "fast");
    const ref = vocoderPhasor(spec, rate);
    assertEquals(fast.nFrames, ref.nFrames);
    assert(maxRelError(fast.re, ref.re) < 1e-4, `rate ${rate}: re ${maxRelError(fast.re, ref.re)}`);
    assert(maxRelError(fast.im, ref.im) < 1e-4, `rate ${rate}: im ${maxRelError(fast.im, ref.im)}`);
  }
});

Deno.test("resample: the precomputed polyphase plan equals resampy's own per-sample loop", () => {
  const x = noise(48000, 4);
  const direct = resampleDirect(x, 48000, 22050, KAISER_BEST);
  const planned = resample(x, 48000, 22050);
  assertEquals(direct.length, planned.length);
  assert(snrDb(direct, planned) > 100, `SNR ${snrDb(direct, planned)} dB`);
  // A non-integer source rate (librosa's pitch shift) takes the rational-approximation plan.
  const rate = 2 ** (-0.7 / 12);
  const pitched = resample(x, 22050 / rate, 22050);
  const pitchedDirect = resampleDirect(x, 22050 / rate, 22050, KAISER_BEST);
  assertEquals(pitched.length, pitchedDirect.length);
  const snr = snrDb(pitchedDirect, pitched);
  assert(snr > 60, `rational plan vs direct: SNR ${snr} dB`);
});
