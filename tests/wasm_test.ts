import { assert, assertEquals } from "./assert.ts";
import { resample } from "../lib/audio/resample.ts";
import { compileWat, moduleText, WASM_SOURCES } from "../tools/build_wasm.ts";
import { tone } from "./helpers.ts";

Deno.test("wasm: the committed kernels are exactly what their .wat sources compile to", async () => {
  for (const s of WASM_SOURCES) {
    const root = new URL("../", import.meta.url);
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
    let s = 0;
    let e = 0;
    for (let i = 0; i < ref.length; i++) {
      s += ref[i] ** 2;
      e += (fast[i] - ref[i]) ** 2;
    }
    const snr = 10 * Math.log10(s / e);
    assert(snr > 120, `${from}->${to}: SNR ${snr.toFixed(1)} dB`);
  }
  // Upsampling a tone also agrees (the kernel handles ratios above 1).
  const up = resample(tone(1000, 440, 16000), 16000, 48000);
  const upRef = resample(tone(1000, 440, 16000), 16000, 48000, "kaiser_best", "js");
  for (let i = 0; i < up.length; i++) assert(Math.abs(up[i] - upRef[i]) < 1e-5, `sample ${i}`);
});
