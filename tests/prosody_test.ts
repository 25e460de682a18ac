/**
 * Prosody frames: pitch by YIN checked against tones whose pitch we know (librosa.yin finds the
 * same periods: same framing, same normalised difference, same trough rule), voicing on noise and
 * silence, and the columns' alignment with the STFT's frames.
 */
import { assert, assertAlmostEquals, assertEquals } from "./assert.ts";
import { PROSODY_COLUMNS, PROSODY_DIM, SPEECH_YIN, yinTrack } from "../lib/features/prosody.ts";
import { createFeatureExtractor } from "../lib/features/extract.ts";
import { DEFAULT_CONFIG, inputParts, parseArgs } from "../lib/config/config.ts";
import { inputChannels, inputShape } from "../lib/experiment/fold.ts";
import { createRng } from "../lib/util/random.ts";

const SR = 22050;
const yinOpts = { ...SPEECH_YIN, frameLength: 2048, hopLength: 512 };

/** A voice-like tone: fundamental plus two weaker harmonics. */
function harmonicTone(f0: number, seconds: number): Float32Array {
  const y = new Float32Array(Math.round(seconds * SR));
  for (let i = 0; i < y.length; i++) {
    const t = i / SR;
    y[i] = 0.4 * Math.sin(2 * Math.PI * f0 * t) + 0.2 * Math.sin(2 * Math.PI * 2 * f0 * t) +
      0.1 * Math.sin(2 * Math.PI * 3 * f0 * t);
  }
  return y;
}

const cents = (a: number, b: number) => 1200 * Math.abs(Math.log2(a / b));

Deno.test("yin: tones of known pitch from 80 Hz to 900 Hz are found within 2 cents", () => {
  for (const f0 of [80, 123.5, 220, 311.1, 440, 650, 900]) {
    const track = yinTrack(harmonicTone(f0, 1), SR, yinOpts);
    assertEquals(track.f0Hz.length, 1 + Math.floor(SR / 512), "librosa's centred frame count");
    // Frames away from the edges (the centred padding holds zeros there).
    const inner = Array.from(track.f0Hz.subarray(3, -3));
    for (const hz of inner) assert(cents(hz, f0) < 2, `${f0} Hz tone: found ${hz.toFixed(2)} Hz`);
    assert(track.aperiodicity[10] < 0.05, `a pure tone is periodic (${track.aperiodicity[10]})`);
  }
});

Deno.test("yin: a glide is followed frame by frame; octave errors do not appear", () => {
  // 150 Hz -> 300 Hz over 2 s (linear in frequency); phase is the integral of frequency.
  const n = 2 * SR;
  const y = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const f = 150 + (150 * i) / n;
    phase += (2 * Math.PI * f) / SR;
    y[i] = 0.5 * Math.sin(phase) + 0.2 * Math.sin(2 * phase);
  }
  const track = yinTrack(y, SR, yinOpts);
  for (let t = 4; t < track.f0Hz.length - 4; t++) {
    const want = 150 + (150 * t * 512) / n;
    assert(cents(track.f0Hz[t], want) < 25, `frame ${t}: ${track.f0Hz[t]} Hz, want ${want}`);
  }
});

Deno.test("yin: white noise and silence are unvoiced", () => {
  const rng = createRng(3);
  const noise = Float32Array.from({ length: SR }, () => 0.3 * rng.normal());
  const track = yinTrack(noise, SR, yinOpts);
  const voiced = Array.from(track.f0Hz).filter(Number.isFinite).length;
  assert(voiced <= 2, `${voiced} of ${track.f0Hz.length} noise frames voiced`);

  const ex = createFeatureExtractor(DEFAULT_CONFIG.features, SR, 2.5);
  const silent = ex.extract(new Float32Array(SR)).sequence;
  const col = (name: string) => PROSODY_COLUMNS.findIndex((c) => c.startsWith(name));
  for (let t = 0; t < silent.nFrames; t++) {
    assertEquals(silent.prosody[t * PROSODY_DIM + col("voiced")], 0);
    assertEquals(silent.prosody[t * PROSODY_DIM + col("periodicity")], 0);
  }
});

Deno.test("prosody frames sit beside the log-mel frames: pitch in semitones, loudness in dB, padding silent", () => {
  const ex = createFeatureExtractor(DEFAULT_CONFIG.features, SR, 2.5);
  const f = ex.extract(harmonicTone(220, 1.5)); // shorter than the 2.5 s window: padded
  const { nFrames, validFrames, prosody } = f.sequence;
  assertEquals(prosody.length, nFrames * PROSODY_DIM);
  assertEquals(validFrames, 1 + Math.floor((1.5 * SR) / 512));
  const at = (t: number, c: number) => prosody[t * PROSODY_DIM + c];
  const t = 20;
  assertAlmostEquals(at(t, 0), 12 * Math.log2(220 / 55), 0.05, "220 Hz is 24 semitones over 55");
  assertEquals(at(t, 2), 1, "voiced");
  assert(at(t, 3) > 15, `a clean tone has a high harmonics-to-noise ratio (${at(t, 3)} dB)`);
  assertAlmostEquals(
    at(t, 4),
    20 * Math.log10(f.frames.rms[t] + 1e-5),
    1e-4,
    "loudness is RMS in dB",
  );
  assertAlmostEquals(at(t, 5), f.frames.zcr[t], 1e-6, "the ZCR column is the frame ZCR");
  assert(at(t, 7) < 0, "a tone with falling harmonics tilts down");
  assertAlmostEquals(at(t, 10), 0, 0.01, "steady pitch: no pitch delta");
  for (let p = validFrames; p < nFrames; p++) {
    assertEquals(at(p, 4), -100, "padding frames are digital silence");
    assertEquals(at(p, 2), 0);
  }
  for (let i = 0; i < prosody.length; i++) assert(Number.isFinite(prosody[i]));
});

Deno.test("inputs: prosody sits after log-mel and MFCC in each frame; a member reads its own columns", () => {
  const dims = { vector: 162, frames: 108, logmel: 40, mfccDelta: 60, prosody: PROSODY_DIM };
  const src = { dims };
  assertEquals(inputParts("logmelMfccDeltaProsody"), ["logmel", "mfccDelta", "prosody"]);
  assertEquals(inputParts("mfccDeltaProsody"), ["mfccDelta", "prosody"]);
  assertEquals(inputParts("logmelMfccDelta"), ["logmel", "mfccDelta"]);
  assertEquals(inputShape("logmelMfccDeltaProsody", src).rowShape, [108, 112]);
  assertEquals(inputChannels("logmelMfccDeltaProsody", "logmel", src), [0, 40]);
  assertEquals(inputChannels("logmelMfccDeltaProsody", "mfccDeltaProsody", src), [40, 112]);
  assertEquals(inputChannels("logmelMfccDeltaProsody", "prosody", src), [100, 112]);
  const { config } = parseArgs([
    "--input=logmelMfccDeltaProsody",
    "--memberInputs=[logmel,mfccDeltaProsody]",
  ]);
  assertEquals(config.temporal.memberInputs, ["logmel", "mfccDeltaProsody"]);
});
