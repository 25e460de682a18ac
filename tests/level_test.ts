/**
 * A clip's level taken from itself (`eval.speakerNorm=per-clip-prosody-level`): the same
 * recording louder or quieter reads the same, its spectral shape and every other column are
 * kept, and predict's layout matches training's.
 */
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { type ClipLevelLayout, removeClipLevel } from "../lib/normalise/level.ts";
import { clipLevelLayout, normPolicy } from "../lib/normalise/policy.ts";
import { DEFAULT_CONFIG, parseArgs, strictTwin } from "../lib/config/config.ts";
import { createClipFeaturizer } from "../lib/features/clip.ts";
import { inputOf } from "../lib/model/predictor.ts";
import { encodeWav } from "../lib/audio/wav.ts";
import { createRng } from "../lib/util/random.ts";
import { PROSODY_DIM } from "../lib/features/prosody.ts";

const FRAMES = 5;
// Three log-mel bands, MFCC 0 and one more MFCC, and a prosody column: six per frame.
const WIDTH = 6;
const LAYOUT: ClipLevelLayout = { logmel: [0, 3], c0: 3, c0PerDb: 2 };

function clipAt(gainDb: number, seed = 1): Float32Array {
  const rng = createRng(seed);
  const x = new Float32Array(FRAMES * WIDTH);
  for (let t = 0; t < FRAMES; t++) {
    const bands = [-40 + 5 * rng.normal(), -50 + 5 * rng.normal(), -60 + 5 * rng.normal()];
    const o = t * WIDTH;
    bands.forEach((b, i) => x[o + i] = b + gainDb);
    // MFCC 0 of these bands, in the layout's units (c0PerDb per dB of the mean band).
    x[o + 3] = LAYOUT.c0PerDb * (bands.reduce((a, b) => a + b, 0) / 3 + gainDb);
    x[o + 4] = rng.normal();
    x[o + 5] = rng.normal();
  }
  return x;
}

const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

Deno.test("the same clip 12 dB louder reads the same once its level is its own", () => {
  const quiet = removeClipLevel(clipAt(0), 1, WIDTH, LAYOUT);
  const loud = removeClipLevel(clipAt(12), 1, WIDTH, LAYOUT);
  assert(maxDiff(quiet, loud) < 1e-4, `differ by ${maxDiff(quiet, loud)}`);
  // MFCC 0 is centred over the clip's frames; the bands keep their shape (one above another).
  let c0 = 0;
  for (let t = 0; t < FRAMES; t++) c0 += quiet[t * WIDTH + 3];
  assert(Math.abs(c0 / FRAMES) < 1e-4, `MFCC 0's mean ${c0 / FRAMES}`);
  const raw = clipAt(0);
  for (let t = 0; t < FRAMES; t++) {
    const o = t * WIDTH;
    assert(Math.abs((quiet[o] - quiet[o + 1]) - (raw[o] - raw[o + 1])) < 1e-4, "band shape kept");
    assertEquals([quiet[o + 4], quiet[o + 5]], [raw[o + 4], raw[o + 5]]);
  }
});

Deno.test("rows are levelled one by one, and log-mel alone is levelled by its own mean", () => {
  const two = new Float32Array([...clipAt(0, 1), ...clipAt(-20, 2)]);
  const each = removeClipLevel(two, 2, WIDTH, LAYOUT);
  const first = removeClipLevel(clipAt(0, 1), 1, WIDTH, LAYOUT);
  const second = removeClipLevel(clipAt(-20, 2), 1, WIDTH, LAYOUT);
  assert(maxDiff(each, new Float32Array([...first, ...second])) < 1e-6);
  const logmelOnly = removeClipLevel(clipAt(7), 1, WIDTH, { ...LAYOUT, c0: null });
  let sum = 0;
  for (let t = 0; t < FRAMES; t++) for (let c = 0; c < 3; c++) sum += logmelOnly[t * WIDTH + c];
  assert(Math.abs(sum / (3 * FRAMES)) < 1e-4, "log-mel centred");
  assertThrows(() => removeClipLevel(clipAt(0), 1, WIDTH, { logmel: null, c0: null, c0PerDb: 1 }));
});

Deno.test("the level setting is strict, keeps prosody per clip, and finds the columns", () => {
  const policy = normPolicy("per-clip-prosody-level");
  assertEquals([policy.strict, policy.voice, policy.perClip, policy.level], [
    true,
    "none",
    "prosody",
    true,
  ]);
  const f = DEFAULT_CONFIG.features;
  // The default input: 40 log-mel bands, then 60 MFCC + delta columns (MFCC 0 first), prosody.
  assertEquals(clipLevelLayout("per-clip-prosody-level", "logmelMfccDeltaProsody", f), {
    logmel: [0, f.sequenceMels],
    c0: f.sequenceMels,
    c0PerDb: Math.sqrt(f.nMels),
  });
  assertEquals(clipLevelLayout("per-clip-prosody-level", "mfccDeltaProsody", f)?.logmel, null);
  assertEquals(clipLevelLayout("per-clip-prosody", "logmelMfccDeltaProsody", f), undefined);
  assertThrows(() => clipLevelLayout("per-clip-prosody-level", "prosody", f), Error, "log-mel");
  // A strict twin may use it, and a config names it from the command line.
  const twin = strictTwin(parseArgs(["--eval.strictNorm=per-clip-prosody-level"]).config);
  assertEquals(twin.eval.speakerNorm, "per-clip-prosody-level");
});

Deno.test("a real clip's features: the log-mel and MFCC 0 of a recording at half the amplitude match once levelled", () => {
  // Speech-like noise bursts, loud enough that no frame meets the 80 dB floor.
  const rng = createRng(5);
  const sr = 22050;
  const y = Float32Array.from({ length: 3.5 * sr }, (_, i) => {
    const envelope = 0.5 + 0.4 * Math.sin(2 * Math.PI * 3 * i / sr);
    return 0.2 * envelope * rng.normal();
  });
  const featurizer = createClipFeaturizer(DEFAULT_CONFIG.audio, DEFAULT_CONFIG.features);
  const input = (gain: number) =>
    inputOf(
      featurizer.featurize(encodeWav(y.map((v) => gain * v), sr), `x${gain}.wav`),
      "logmelMfccDeltaProsody",
    );
  const layout = clipLevelLayout(
    "per-clip-prosody-level",
    "logmelMfccDeltaProsody",
    DEFAULT_CONFIG.features,
  )!;
  const { sequenceMels, nMfcc } = DEFAULT_CONFIG.features;
  const width = sequenceMels + 3 * nMfcc + PROSODY_DIM;
  const raw = [input(1), input(0.5)];
  // Half the amplitude is 6 dB down in every band: gone once each clip's level is its own.
  const down = raw[0][0] - raw[1][0];
  assert(Math.abs(down - 6.02) < 0.05, `raw log-mel differs by ${down}`);
  const [a, b] = raw.map((x) => removeClipLevel(x, 1, width, layout));
  for (let t = 0; t < 10; t++) {
    for (const c of [0, 20, 39, layout.c0!]) {
      const i = t * width + c;
      assert(Math.abs(a[i] - b[i]) < 0.02, `frame ${t} column ${c}: ${a[i]} vs ${b[i]}`);
    }
  }
});
