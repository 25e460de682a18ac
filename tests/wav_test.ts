import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import { decodeWav, encodeWav } from "../lib/audio/wav.ts";
import { cropSamples, loadAudio, speechSpan } from "../lib/audio/load.ts";
import { DEFAULT_CONFIG } from "../lib/config/config.ts";

function sine(n: number, freqHz: number, sr: number, amp = 0.5): Float32Array {
  return Float32Array.from(
    { length: n },
    (_, i) => amp * Math.sin((2 * Math.PI * freqHz * i) / sr),
  );
}

/** Inserts a chunk (like RAVDESS's `FLLR` padding) between "fmt " and "data". */
function withExtraChunk(wav: Uint8Array, id: string, size: number): Uint8Array {
  const out = new Uint8Array(wav.length + 8 + size);
  out.set(wav.subarray(0, 36), 0);
  for (let i = 0; i < 4; i++) out[36 + i] = id.charCodeAt(i);
  new DataView(out.buffer).setUint32(40, size, true);
  out.set(wav.subarray(36), 44 + size);
  new DataView(out.buffer).setUint32(4, out.length - 8, true);
  return out;
}

Deno.test("wav: 16-bit PCM decodes to floats scaled by 1/32768, as libsndfile does", () => {
  const x = Float32Array.from([0, 0.5, -0.5, -1, 32767 / 32768]);
  const d = decodeWav(encodeWav(x, 16000), "t.wav");
  assertEquals(d.sampleRateHz, 16000);
  assertEquals(d.bitDepth, 16);
  assertEquals(Array.from(d.channels[0]), Array.from(x));
});

Deno.test("wav: 8-, 24- and 32-bit PCM and 32-bit float all decode", () => {
  const x = sine(1000, 440, 16000);
  for (
    const opts of [{ bitDepth: 8 as const }, { bitDepth: 24 as const }, { bitDepth: 32 as const }, {
      float: true,
    }]
  ) {
    const d = decodeWav(encodeWav(x, 16000, opts), "t.wav");
    const tol = opts.bitDepth === 8 ? 1 / 128 : 1e-6;
    for (let i = 0; i < x.length; i++) {
      assertAlmostEquals(d.channels[0][i], x[i], tol, `${JSON.stringify(opts)} @${i}`);
    }
  }
  // Extremes map to -1 exactly, as libsndfile reads them.
  const lows = Float32Array.from([-1]);
  assertEquals(decodeWav(encodeWav(lows, 8000, { bitDepth: 8 }), "t8.wav").channels[0][0], -1);
  assertEquals(decodeWav(encodeWav(lows, 8000, { bitDepth: 24 }), "t24.wav").channels[0][0], -1);
});

Deno.test("wav: extra chunks before the samples (RAVDESS's FLLR) are skipped", () => {
  const x = sine(500, 300, 48000);
  const plain = decodeWav(encodeWav(x, 48000), "a.wav");
  const padded = decodeWav(withExtraChunk(encodeWav(x, 48000), "FLLR", 4042), "b.wav");
  assertEquals(Array.from(padded.channels[0]), Array.from(plain.channels[0]));
});

Deno.test("wav: stereo is averaged to mono by the loader", () => {
  const left = Float32Array.from({ length: 800 }, () => 0.5);
  const right = Float32Array.from({ length: 800 }, () => -0.25);
  const clip = loadAudio(encodeWav([left, right], 8000), {
    sampleRateHz: null,
    offsetS: 0,
    durationS: null,
    resampler: "kaiser_best",
  }, "s.wav");
  assertEquals(clip.nativeChannels, 2);
  assertEquals(clip.samples[10], 0.125);
});

Deno.test("wav: a truncated file is an error that names it and says truncated", () => {
  const wav = encodeWav(sine(4000, 440, 16000), 16000);
  assertThrows(
    () => decodeWav(wav.subarray(0, 2000), "cut.wav"),
    Error,
    "cut.wav: not a valid WAV file: truncated",
  );
  assertThrows(() => decodeWav(wav.subarray(0, 30), "head.wav"), Error, "head.wav");
});

Deno.test("wav: a file that is not RIFF/WAVE is rejected with what it starts with", () => {
  const text = new TextEncoder().encode("ID3\u0004 this is an mp3, honestly");
  assertThrows(
    () => decodeWav(text, "song.mp3"),
    Error,
    'song.mp3: not a valid WAV file: starts with "ID3',
  );
  assertThrows(() => decodeWav(new Uint8Array(4), "tiny.wav"), Error, "too short");
});

Deno.test("wav: unsupported encodings say which", () => {
  const wav = encodeWav(sine(100, 440, 8000), 8000);
  new DataView(wav.buffer).setUint16(20, 0x0055, true); // MPEG layer 3 tag
  assertThrows(() => decodeWav(wav, "m.wav"), Error, "m.wav: unsupported WAV: format tag 0x55");
});

Deno.test("load: crops like librosa.load(offset, duration) and resamples", () => {
  const x = sine(48000 * 4, 440, 48000);
  const c = cropSamples(x, 48000, 0.6, 2.5);
  assertEquals(c.length, 120000);
  assertEquals(c[0], x[28800]);
  assertEquals(cropSamples(x, 48000, 3.5, 2.5).length, 48000 * 4 - 168000);
  const clip = loadAudio(encodeWav(x, 48000), {
    sampleRateHz: 22050,
    offsetS: 0.6,
    durationS: 2.5,
    resampler: "kaiser_best",
  }, "x.wav");
  assertEquals(clip.samples.length, 55125);
  assertEquals(clip.nativeDurationS, 4);
  // Resampling keeps a 440 Hz tone's amplitude (well inside the pass band).
  let peak = 0;
  for (let i = 1000; i < 54000; i++) peak = Math.max(peak, Math.abs(clip.samples[i]));
  assertAlmostEquals(peak, 0.5, 1e-3);
});

Deno.test("resample: 48 kHz -> 16 kHz removes content above the new Nyquist rate", async () => {
  const { resample } = await import("../lib/audio/resample.ts");
  const tone = sine(48000, 1000, 48000);
  const alias = sine(48000, 12000, 48000); // above 8 kHz: must vanish, not fold to 4 kHz
  const t = resample(tone, 48000, 16000);
  const a = resample(alias, 48000, 16000);
  assertEquals(t.length, 16000);
  const rms = (v: Float32Array) =>
    Math.sqrt(v.slice(2000, 14000).reduce((s, x) => s + x * x, 0) / 12000);
  assertAlmostEquals(rms(t), 0.5 / Math.SQRT2, 1e-3);
  assert(rms(a) < 1e-4, `aliased energy ${rms(a)}`);
});

Deno.test("wav: a header declaring an impossible sample rate (3 GHz, 2 Hz) is refused by name", () => {
  for (const rate of [3_000_000_000, 2]) {
    const wav = encodeWav(sine(4800, 440, 48000), 48000);
    new DataView(wav.buffer).setUint32(24, rate, true);
    assertThrows(
      () => loadAudio(wav, { ...DEFAULT_CONFIG.audio, offsetS: 0 }, "odd.wav"),
      Error,
      `odd.wav: unsupported WAV: sample rate ${rate} Hz in the header (expected 1000 to 768000 Hz)`,
    );
  }
});

Deno.test("wav: NaN or infinite float samples are an error naming the file, the count and the time", () => {
  const x = sine(48000, 440, 48000);
  const wav = encodeWav(x, 48000, { float: true });
  new DataView(wav.buffer, 44).setFloat32(24000 * 4, -Infinity, true);
  assertThrows(
    () => decodeWav(wav, "inf.wav"),
    Error,
    "inf.wav: 1 non-finite sample (NaN or infinity) in channel 1, the first at 0.500 s",
  );
  // Outside the decoded window it is not read, so it cannot matter.
  assertEquals(decodeWav(wav, "inf.wav", { offsetS: 0, durationS: 0.4 }).channels[0].length, 19200);
});

Deno.test("load: audio.trimDb trims leading and trailing silence before the offset applies", () => {
  const sr = 16000;
  const x = new Float32Array(sr * 3); // 1 s silence, 1 s tone, 1 s silence
  x.set(sine(sr, 440, sr, 0.5), sr);
  const wav = encodeWav(x, sr);
  const audio = { ...DEFAULT_CONFIG.audio, sampleRateHz: null, offsetS: 0, durationS: null };
  const whole = loadAudio(wav, audio, "pad.wav").samples;
  assertEquals(whole.length, 3 * sr, "trimDb 0 keeps everything");
  const trimmed = loadAudio(wav, { ...audio, trimDb: 40 }, "pad.wav").samples;
  // librosa's frames (2048, hop 512) reach up to a frame into the silence on either side.
  assert(trimmed.length >= sr && trimmed.length <= sr + 2 * 2048, `${trimmed.length} samples`);
  assert(Math.abs(trimmed[2048]) > 0, "speech starts within the first frame");
  const afterOffset = loadAudio(wav, { ...audio, trimDb: 40, offsetS: 0.25 }, "pad.wav").samples;
  assertEquals(afterOffset.length, trimmed.length - 0.25 * sr, "the offset counts from the speech");
});

Deno.test("speechSpan: a recording longer than 22 minutes at 48 kHz (130,000 frames) finds its speech", () => {
  // 70 million samples of near-silence with two seconds of tone 20 minutes in: past the length
  // where spreading every frame's RMS into Math.max overflowed the stack.
  const y = new Float32Array(70_000_000);
  for (let i = 0; i < y.length; i += 97) y[i] = 1e-5;
  const from = 57_600_000;
  for (let i = from; i < from + 96_000; i++) y[i] = 0.5 * Math.sin(i * 0.05);
  const [start, end] = speechSpan(y, 30);
  assert(
    Math.abs(start - from) <= 2048 && Math.abs(end - (from + 96_000)) <= 2048,
    `${start}-${end}`,
  );
});
