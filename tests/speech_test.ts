/**
 * The speech detector: what is not speech (silence, DC, hum, tones, noise, chords) is refused
 * whatever its loudness, and every clip of RAVDESS and EmoDB in ../shared is heard as speech.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { detectSpeech, judgeSpeech, speechTrack, voicedSpan } from "../lib/features/speech.ts";
import { loadAudio } from "../lib/audio/load.ts";
import { DEFAULT_CONFIG } from "../lib/config/config.ts";
import { CORPUS_DIR, EMODB_DIR, HAVE_CORPUS, HAVE_EMODB } from "./fixtures.ts";

const RATE = DEFAULT_CONFIG.audio.sampleRateHz;
const GATE = DEFAULT_CONFIG.live;
const EXTRA_DIR = join(CORPUS_DIR, "..", "ravdess-extra");

function signal(seconds: number, f: (t: number) => number): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * RATE) }, (_, i) => f(i / RATE));
}

const dbfs = (db: number) => 10 ** (db / 20);
let seed = 1;
const uniform = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5;
const harmonics = (f0: number, t: number, n: number) => {
  let v = 0;
  for (let k = 1; k <= n; k++) v += Math.sin(2 * Math.PI * f0 * k * t) / k;
  return v;
};

/** A voiced, vowel-like signal: gliding pitch, harmonics, syllables at 4 per second. */
function syntheticVoice(seconds: number, rate = RATE, amp = 0.3): Float32Array {
  let phase = 0;
  return Float32Array.from({ length: Math.round(seconds * rate) }, (_, i) => {
    const t = i / rate;
    phase += (2 * Math.PI * (140 + 25 * Math.sin(2 * Math.PI * 0.7 * t))) / rate;
    let v = 0;
    for (let k = 1; k <= 10; k++) v += Math.sin(k * phase) / k;
    return amp * 0.5 * (0.5 - 0.5 * Math.cos(2 * Math.PI * 4 * t)) * v;
  });
}

Deno.test("silence, DC, hum, tones, noise and chords are no speech, however loud", () => {
  let pink = [0, 0, 0];
  const cases: Record<string, Float32Array> = {
    "digital silence": new Float32Array(3 * RATE),
    "a DC offset of 0.2": signal(3, () => 0.2),
    "50 Hz mains hum at -30 dBFS": signal(3, (t) => dbfs(-30) * harmonics(50, t, 3)),
    "100 Hz hum at -30 dBFS": signal(3, (t) => dbfs(-30) * harmonics(100, t, 2)),
    "a 1 kHz sine at -6 dBFS": signal(3, (t) => 0.5 * Math.sin(2 * Math.PI * 1000 * t)),
    "a 200 Hz sine (a voice's pitch, held)": signal(
      3,
      (t) => 0.5 * Math.sin(2 * Math.PI * 200 * t),
    ),
    "white noise": signal(3, () => 0.3 * uniform()),
    "pink noise": signal(3, () => {
      const w = uniform();
      pink = [
        0.99765 * pink[0] + w * 0.099,
        0.963 * pink[1] + w * 0.2965,
        0.57 * pink[2] + w * 1.0527,
      ];
      return 0.1 * (pink[0] + pink[1] + pink[2] + 0.1848 * w);
    }),
    "a C major chord": signal(
      3,
      (t) => 0.1 * [261.63, 329.63, 392].reduce((v, f) => v + harmonics(f, t, 5), 0),
    ),
    "an A minor chord with tremolo": signal(
      3,
      (t) =>
        0.1 * (0.6 + 0.4 * Math.sin(2 * Math.PI * 5 * t)) *
        [220, 277.18, 329.63].reduce((v, f) => v + harmonics(f, t, 5), 0),
    ),
    "hum under a DC offset": signal(3, (t) => 0.3 + dbfs(-30) * harmonics(100, t, 2)),
  };
  for (const [name, x] of Object.entries(cases)) {
    const v = detectSpeech(x, RATE, GATE);
    assertEquals(v.speech, false, `${name}: ${JSON.stringify(v)}`);
    assert(v.why.length > 0, `${name} says why`);
  }
  // A voice is speech, quiet or loud, with DC under it or not.
  for (const amp of [0.3, 0.003]) {
    const v = detectSpeech(syntheticVoice(2.5, RATE, amp), RATE, GATE);
    assert(v.speech && v.pitchRangeSt > 2, JSON.stringify(v));
  }
  const withDc = syntheticVoice(2.5).map((x) => x + 0.2);
  assert(detectSpeech(withDc, RATE, GATE).speech);
});

Deno.test("the track of a long signal read in chunks equals the track of it whole", () => {
  const x = new Float32Array(150 * RATE);
  x.set(syntheticVoice(3), 59 * RATE); // across the first chunk boundary (60 s)
  x.set(syntheticVoice(2), 120 * RATE);
  const whole = speechTrack(x, RATE, GATE.gateDbfs);
  const chunks = speechTrack(
    { length: x.length, read: (a, b) => x.slice(a, b) },
    RATE,
    GATE.gateDbfs,
  );
  assertEquals(Array.from(chunks.voiced), Array.from(whole.voiced));
  const span = voicedSpan(whole)!;
  assert(span[0] > 58.7 * RATE && span[0] < 59.1 * RATE, `${span[0] / RATE}`);
  assert(span[1] > 121.7 * RATE && span[1] < 122.3 * RATE, `${span[1] / RATE}`);
  assertEquals(judgeSpeech(whole, GATE, 80 * RATE, 110 * RATE).speech, false, "the pause");
  assertEquals(judgeSpeech(whole, GATE, 120 * RATE, 122 * RATE).speech, true);
});

function wavFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].flatMap((e) =>
    e.isDirectory
      ? wavFiles(join(dir, e.name))
      : e.name.toLowerCase().endsWith(".wav")
      ? [join(dir, e.name)]
      : []
  ).sort();
}

Deno.test({
  name: "every RAVDESS and EmoDB clip in ../shared is heard as speech",
  ignore: !HAVE_CORPUS && !HAVE_EMODB,
  fn: () => {
    const dirs = [CORPUS_DIR, EXTRA_DIR, EMODB_DIR].filter((d) => {
      try {
        return Deno.statSync(d).isDirectory;
      } catch {
        console.warn(`speech detector: ${d} absent, its clips not checked`);
        return false;
      }
    });
    const missed: string[] = [];
    let clips = 0;
    for (const file of dirs.flatMap(wavFiles)) {
      const y = loadAudio(Deno.readFileSync(file), {
        sampleRateHz: RATE,
        offsetS: 0,
        durationS: null,
        resampler: "kaiser_best",
      }, file).samples;
      const v = detectSpeech(y, RATE, GATE);
      clips++;
      if (!v.speech) missed.push(`${file}: ${v.why}`);
    }
    assert(clips >= 480, `${clips} clips`);
    assertEquals(missed, [], `${missed.length} of ${clips} clips not heard as speech`);
  },
});
if (!HAVE_CORPUS && !HAVE_EMODB) {
  console.warn("skipping the corpus speech test: no ../shared/ravdess or ../shared/emodb");
}
