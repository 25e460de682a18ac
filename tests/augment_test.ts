/**
 * Augmentation: parity with librosa's time stretch and pitch shift, behaviour on synthetic tones,
 * determinism, and the leakage guard.
 *
 * Parity measure: both outputs go through our (librosa-exact) mel spectrogram; we bound the
 * relative L1 error of mel power, sum|ours - librosa| / sum|librosa|, and the mean absolute
 * log-mel difference in dB (both floored 80 dB under librosa's peak, as power_to_db does). Bounds: fast vocoder 5e-3 and 0.2 dB (it does not copy librosa's
 * float32 phase rounding; measured 1.8e-3 and 0.08 dB at worst); librosa vocoder 1e-4 and 0.1 dB
 * (measured 5.4e-5 and 0.06 dB). Lengths must be equal exactly.
 */
import { join } from "node:path";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import { reference, requires } from "./fixtures.ts";
import { LIBROSA_STFT, pitchShift, timeStretch, type VocoderMode } from "../lib/augment/stretch.ts";
import { addNoiseAtSnr, addWhiteNoiseClassic, snrDb } from "../lib/augment/noise.ts";
import { drawShift, roll, shiftWithSilence } from "../lib/augment/shift.ts";
import { applyRow, parseRecipe, rowRng } from "../lib/augment/recipe.ts";
import { createRng } from "../lib/util/random.ts";
import { createFeatureExtractor } from "../lib/features/extract.ts";
import { spectrumPower, stft } from "../lib/features/stft.ts";
import { DEFAULT_CONFIG, parseArgs } from "../lib/config/config.ts";
import { indexCorpus } from "../lib/corpus/index_fs.ts";
import { actorKFold, speakerPlans, speakerSplit } from "../lib/experiment/splits.ts";
import { featurizeCorpus } from "../lib/pipeline/featurize.ts";
import { assertTrainingOnly, augmentForSplit } from "../lib/pipeline/augment.ts";
import { tone, writeSyntheticCorpus } from "./helpers.ts";

const SR = 22050;
const extractor = createFeatureExtractor(DEFAULT_CONFIG.features, SR, 2.5);

function melDistance(ours: Float32Array, ref: Float32Array): { relL1: number; maeDb: number } {
  const a = extractor.extractVector(ours).frames.mel;
  const b = extractor.extractVector(ref).frames.mel;
  // dB compared above librosa's own top_db floor (80 dB under the peak), as power_to_db sees it:
  // bands with no energy would otherwise weigh float rounding noise.
  const floor = Math.max(...b) * 1e-8;
  let num = 0, den = 0, db = 0;
  for (let i = 0; i < b.length; i++) {
    num += Math.abs(a[i] - b[i]);
    den += b[i];
    db += Math.abs(10 * Math.log10(Math.max(a[i], floor)) - 10 * Math.log10(Math.max(b[i], floor)));
  }
  return { relL1: num / den, maeDb: db / b.length };
}

for (const vocoder of ["fast", "librosa"] as VocoderMode[]) {
  const bound = vocoder === "fast" ? { relL1: 5e-3, maeDb: 0.2 } : { relL1: 1e-4, maeDb: 0.1 };
  for (const name of ["sine440", "ravdess_a01_angry_strong"]) {
    Deno.test({
      name:
        `augment parity (${vocoder} vocoder): ${name}: stretch 0.8, then +0.7 st, and +2 st match librosa`,
      ignore: requires("reference"),
      fn: async () => {
        const shape = { ...LIBROSA_STFT, vocoder };
        const y = await reference(`${name}.y`);
        const stretched = timeStretch(y, 0.8, shape);
        const outputs = {
          stretch: stretched,
          stretch_pitch: pitchShift(stretched, SR, 0.7, shape),
          pitch2: pitchShift(y, SR, 2, shape),
        };
        for (const [kind, ours] of Object.entries(outputs)) {
          const ref = await reference(`${name}.${kind}`);
          assertEquals(ours.length, ref.length, `${kind} length`);
          const d = melDistance(ours, ref);
          assert(d.relL1 <= bound.relL1, `${kind}: mel relative L1 ${d.relL1}`);
          assert(d.maeDb <= bound.maeDb, `${kind}: log-mel MAE ${d.maeDb} dB`);
        }
      },
    });
  }
}

function peakHz(y: Float32Array, nFft = 8192): number {
  const spec = stft(y, { nFft, hopLength: nFft, center: false, padMode: "constant" });
  const p = spectrumPower(spec, 2);
  const frame = Math.floor(spec.nFrames / 2) * spec.nBins;
  let best = 1;
  for (let k = 1; k < spec.nBins; k++) if (p[frame + k] > p[frame + best]) best = k;
  return (best * SR) / nFft;
}

Deno.test("augment: a 440 Hz sine shifted +2 semitones peaks at 493.9 Hz (within one FFT bin)", () => {
  const shifted = pitchShift(tone(SR * 2, 440, SR), SR, 2);
  assertEquals(shifted.length, SR * 2);
  assertAlmostEquals(peakHz(shifted), 440 * 2 ** (2 / 12), SR / 8192);
});

Deno.test("augment: stretch by 0.8 is 1.25x as long with the same peak frequency", () => {
  const y = tone(SR * 2, 440, SR);
  const s = timeStretch(y, 0.8);
  assertEquals(s.length, Math.round(y.length * 1.25));
  assertAlmostEquals(peakHz(s), 440, SR / 8192);
  assertThrows(() => timeStretch(y, 0), Error, "rate must be positive");
});

Deno.test("augment: noise at 10 dB SNR measures 10 +- 0.5 dB; the classic noise follows max(y)", () => {
  const y = tone(SR, 300, SR, 0.2);
  const rng = createRng(1);
  for (let i = 0; i < 5; i++) assertAlmostEquals(snrDb(y, addNoiseAtSnr(y, 10, rng)), 10, 0.5);
  const noisy = addWhiteNoiseClassic(y, createRng(2));
  let maxDev = 0;
  for (let i = 0; i < y.length; i++) maxDev = Math.max(maxDev, Math.abs(noisy[i] - y[i]));
  // amplitude <= 0.035 * max(y) = 0.007, times |N(0,1)| (rarely above 5).
  assert(maxDev > 0 && maxDev < 0.035 * 0.2 * 5.5, `deviation ${maxDev}`);
});

Deno.test("augment: roll wraps like np.roll, the silence shift does not wrap", () => {
  const y = Float32Array.from([1, 2, 3, 4, 5]);
  assertEquals(Array.from(roll(y, 2)), [4, 5, 1, 2, 3]);
  assertEquals(Array.from(roll(y, -1)), [2, 3, 4, 5, 1]);
  assertEquals(Array.from(shiftWithSilence(y, 2)), [0, 0, 1, 2, 3]);
  assertEquals(Array.from(shiftWithSilence(y, -2)), [3, 4, 5, 0, 0]);
  const rng = createRng(3);
  for (let i = 0; i < 100; i++) assert(Math.abs(drawShift(rng)) <= 5000);
});

Deno.test("augment: a recipe can shift pitch by several sizes (pitch@-2, pitch@3) in one run", () => {
  const y = tone(SR, 220, SR);
  const cfg = { ...DEFAULT_CONFIG.augment };
  const rows = parseRecipe(["pitch", "pitch@-2", "pitch@3", "stretch@1.25"]);
  assertEquals(rows.map((r) => r.steps[0].value), [undefined, -2, 3, 1.25]);
  // Upward zero crossings per second of the middle half: the tone's frequency.
  const hz = (x: Float32Array) => {
    let n = 0;
    for (let i = x.length >> 2; i < (3 * x.length) >> 2; i++) if (x[i - 1] < 0 && x[i] >= 0) n++;
    return n / ((x.length >> 1) / SR);
  };
  const shifted = rows.map((r) => applyRow(y, r, SR, cfg, rowRng(42, "clip", r.name)));
  assertAlmostEquals(hz(shifted[0]), 220 * 2 ** (0.7 / 12), 4); // the config's 0.7 semitones
  assertAlmostEquals(hz(shifted[1]), 220 * 2 ** (-2 / 12), 4);
  assertAlmostEquals(hz(shifted[2]), 220 * 2 ** (3 / 12), 4);
  assertAlmostEquals(hz(shifted[3]), 220, 4); // a stretch keeps the pitch
  assertAlmostEquals(shifted[3].length, y.length / 1.25, 2); // and shortens the clip
});

Deno.test("augment: every row is reproducible from (seed, clip, row); other clips draw differently", () => {
  const y = tone(SR, 220, SR);
  const [noise] = parseRecipe(["noise+shift"]);
  const cfg = { ...DEFAULT_CONFIG.augment };
  const a = applyRow(y, noise, SR, cfg, rowRng(42, "clip-a", noise.name));
  const b = applyRow(y, noise, SR, cfg, rowRng(42, "clip-a", noise.name));
  const c = applyRow(y, noise, SR, cfg, rowRng(42, "clip-b", noise.name));
  assertEquals(Array.from(a), Array.from(b));
  assert(a.some((v, i) => v !== c[i]));
});

Deno.test("leakage guard: no row derived from a held-out actor's clip reaches training (k-fold and explicit)", async () => {
  const tmp = await Deno.makeTempDir();
  const corpusDir = join(tmp, "corpus");
  await writeSyntheticCorpus(corpusDir, [1, 2, 3, 4], [1, 5]);
  const corpus = await indexCorpus(corpusDir);
  const quiet = { isTerminal: false, write: () => {} };
  const { config } = parseArgs(["--workers=2", '--augment.recipe=["original","noise","shift"]']);
  const features = await featurizeCorpus(config, corpus, quiet, join(tmp, "cache"));
  const explicit = speakerSplit(corpus.clips, [4], [3]);
  for (const split of [...actorKFold(corpus.clips, 2), explicit]) {
    const aug = await augmentForSplit(config, features, corpus.root, split, quiet);
    assertEquals(aug.rows.length, split.trainActors.length * 2 * 2, split.name);
    for (const r of aug.rows) {
      assert(split.trainActors.includes(r.actor), `${split.name}: row from actor ${r.actor}`);
      assert(split.trainActors.includes(features.clips[r.clipIndex].actor));
    }
    // The rows the experiment trains and tests on (speakerPlans is what planExperiment calls).
    const [plan] = speakerPlans(features.clips, [split], [aug], true);
    const actorOf = (r: { clip: number }) => features.clips[r.clip].actor;
    assertEquals(plan.train.length, split.trainActors.length * 2 * 3);
    assert(plan.train.every((r) => split.trainActors.includes(actorOf(r))));
    assert(plan.test.every((r) => r.derived === -1 && split.testActors.includes(actorOf(r))));
    assert(plan.val.every((r) => r.derived === -1 && split.valActors.includes(actorOf(r))));
  }
  // With a fresh cache and only the explicit split, the held-out actors' audio is never
  // augmented at all (above, they were computed only for the folds in which they train).
  const onlyExplicit = await Deno.makeTempDir();
  const f2 = await featurizeCorpus(config, corpus, quiet, onlyExplicit);
  const aug2 = await augmentForSplit(config, f2, corpus.root, explicit, quiet);
  const actorDirs = [...Deno.readDirSync(aug2.dir)].filter((e) => e.isDirectory).map((e) => e.name)
    .sort();
  assertEquals(
    actorDirs,
    ["actor-01", "actor-02"],
    "test actor 4 and validation actor 3 were never augmented",
  );

  // A split's augmented rows handed to another split's plan are refused, not filtered.
  const fold = actorKFold(corpus.clips, 2)[0];
  const augFold = await augmentForSplit(config, features, corpus.root, fold, quiet);
  const other = actorKFold(corpus.clips, 2)[1];
  assertThrows(
    () => speakerPlans(features.clips, [other], [augFold], true),
    Error,
    "leakage guard",
  );
  assertThrows(() => assertTrainingOnly(corpus.clips, fold), Error, "leakage guard");
  await Deno.remove(tmp, { recursive: true });
  await Deno.remove(onlyExplicit, { recursive: true });
});
