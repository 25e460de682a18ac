/**
 * `deno task bench [section ...]`: speed figures, printed as a table and written to
 * `results/bench/<section>.json`. Sections: featurize, augment, train.
 *
 * Benchmarks measure; they never assert. Reference figures (librosa 0.9.2 on this 2-core
 * machine, from the project's issues) are printed beside ours as ratios.
 */
import { join } from "node:path";
import { DEFAULT_CONFIG } from "../lib/config/config.ts";
import { ensureCorpus } from "../lib/corpus/locate.ts";
import { projectPath } from "../lib/util/project.ts";
import { indexCorpus } from "../lib/corpus/index_fs.ts";
import { decodeWav, toMono } from "../lib/audio/wav.ts";
import { resample } from "../lib/audio/resample.ts";
import { createFeatureExtractor } from "../lib/features/extract.ts";
import { featurizeCorpus } from "../lib/pipeline/featurize.ts";
import { applyRow, derivedRows, parseRecipe, rowRng } from "../lib/augment/recipe.ts";
import { loadAudio } from "../lib/audio/load.ts";
import { writeJsonAtomic } from "../lib/cache/files.ts";
import { stderrSink } from "../lib/util/terminal.ts";
import { benchTrain } from "./train_bench.ts";

const LIBROSA_MS_PER_CLIP = 263; // load (kaiser_best) + features of the clip and 2 augmented copies
const LIBROSA_ALL_1440_S = 209; // all 1440 clips, two processes
const LIBROSA_STRETCH_PITCH_MS = 64; // time_stretch(0.8) then pitch_shift(+0.7) of a 2.5 s clip
const LIBROSA_FEATURIZE_ROW_MS = 15; // features of one augmented row

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function benchFeaturize(): Promise<Record<string, unknown>> {
  const sink = stderrSink();
  const corpus = await indexCorpus(await ensureCorpus(DEFAULT_CONFIG.data, sink));
  const { audio, features, augment, seed } = DEFAULT_CONFIG;
  const clips = corpus.clips.filter((_, i) => i % 5 === 0); // 96 of 480, every emotion and actor
  const bytes = clips.map((c) => Deno.readFileSync(join(corpus.root, c.relPath)));
  const extractor = createFeatureExtractor(features, audio.sampleRateHz, audio.durationS);

  // Single thread, per stage, exactly as the pipeline runs them (windowed decode, then the
  // recipe's rows); the first pass warms the JIT and is discarded.
  const recipeRows = derivedRows(augment.recipe);
  const names = ["decode", "resample", "features", "augment", "augmentedFeatures"] as const;
  const stages = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<
    typeof names[number],
    number[]
  >;
  for (let pass = 0; pass < 3; pass++) {
    const t = Object.fromEntries(names.map((n) => [n, 0])) as Record<typeof names[number], number>;
    for (let i = 0; i < bytes.length; i++) {
      let t0 = performance.now();
      const d = decodeWav(bytes[i], clips[i].relPath, audio);
      const native = toMono(d.channels);
      let t1 = performance.now();
      t.decode += t1 - t0;
      t0 = t1;
      const y = resample(native, d.sampleRateHz, audio.sampleRateHz, audio.resampler);
      t1 = performance.now();
      t.resample += t1 - t0;
      t0 = t1;
      extractor.extract(y);
      t1 = performance.now();
      t.features += t1 - t0;
      for (const row of recipeRows) {
        t0 = performance.now();
        const z = applyRow(
          y,
          row,
          audio.sampleRateHz,
          augment,
          rowRng(seed, clips[i].id, row.name),
        );
        t1 = performance.now();
        t.augment += t1 - t0;
        extractor.extract(z);
        t.augmentedFeatures += performance.now() - t1;
      }
    }
    if (pass > 0) { for (const n of names) stages[n].push(t[n] / bytes.length); }
  }
  const perClip = Object.fromEntries(names.map((n) => [n, median(stages[n])])) as Record<
    typeof names[number],
    number
  >;
  const loadPlusFeatures = perClip.decode + perClip.resample + perClip.features;
  // librosa's 263 ms: load, then features of the clip and of its two augmented copies.
  const librosaEquivalent = names.reduce((a, n) => a + perClip[n], 0);

  // The whole stage on every core, into a throwaway cache folder.
  const tmp = await Deno.makeTempDir();
  const set = await featurizeCorpus(DEFAULT_CONFIG, corpus, sink, tmp);
  await Deno.remove(tmp, { recursive: true });
  const wallMsPerClip = (set.computeS * 1000) / corpus.clips.length;
  // The whole classic workload of every clip, split over the cores (as librosa's 209 s was).
  const projected1440S = (1440 * librosaEquivalent) / navigator.hardwareConcurrency / 1000;

  const rows: [string, string, string][] = [
    ["decode + crop (ms/clip, 1 thread)", perClip.decode.toFixed(2), ""],
    ["resample 48k->22.05k kaiser_best (ms/clip)", perClip.resample.toFixed(2), ""],
    ["features: 162-vector + sequences (ms/clip)", perClip.features.toFixed(2), ""],
    ["load + features (ms/clip, 1 thread)", loadPlusFeatures.toFixed(2), ""],
    [
      `augment: ${recipeRows.map((r) => r.name).join(", ")} (ms/clip)`,
      perClip.augment.toFixed(2),
      "",
    ],
    ["features of the augmented rows (ms/clip)", perClip.augmentedFeatures.toFixed(2), ""],
    [
      "all of it: librosa's 263 ms workload (ms/clip)",
      librosaEquivalent.toFixed(2),
      `${(LIBROSA_MS_PER_CLIP / librosaEquivalent).toFixed(1)}x faster`,
    ],
    [
      `featurize stage, ${navigator.hardwareConcurrency} workers (ms/clip wall)`,
      wallMsPerClip.toFixed(2),
      `${(corpus.clips.length / set.computeS).toFixed(0)} clips/s`,
    ],
    [
      "classic workload, 1440 clips on 2 cores (s, projected)",
      projected1440S.toFixed(1),
      `librosa ${LIBROSA_ALL_1440_S} s (2 processes): ${
        (LIBROSA_ALL_1440_S / projected1440S).toFixed(1)
      }x`,
    ],
  ];
  console.log(
    "\nfeaturize benchmark (" + clips.length + " clips single-thread, " + corpus.clips.length +
      " in the stage)",
  );
  for (const [k, v, r] of rows) console.log(`  ${k.padEnd(50)} ${v.padStart(8)}  ${r}`);
  return {
    clipsSingleThread: clips.length,
    clipsStage: corpus.clips.length,
    msPerClip: perClip,
    loadPlusFeaturesMs: loadPlusFeatures,
    librosaEquivalentMs: librosaEquivalent,
    speedupVsLibrosa: LIBROSA_MS_PER_CLIP / librosaEquivalent,
    stageWallMsPerClip: wallMsPerClip,
    stageClipsPerS: corpus.clips.length / set.computeS,
    projectedClassic1440S: projected1440S,
    workers: navigator.hardwareConcurrency,
  };
}

/** Per-clip cost of the classic recipe's augmentations, single thread, on 48 corpus clips. */
async function benchAugment(): Promise<Record<string, unknown>> {
  const corpus = await indexCorpus(await ensureCorpus(DEFAULT_CONFIG.data, stderrSink()));
  const { audio, features, augment, seed } = DEFAULT_CONFIG;
  const clips = corpus.clips.filter((_, i) => i % 10 === 0);
  const signals = clips.map((c) =>
    loadAudio(Deno.readFileSync(join(corpus.root, c.relPath)), audio, c.relPath).samples
  );
  const extractor = createFeatureExtractor(features, audio.sampleRateHz, audio.durationS);
  const rows = parseRecipe(["noise", "stretch", "stretch+pitch"]);
  const timings: Record<string, number[]> = {
    noise: [],
    stretch: [],
    "stretch+pitch": [],
    featurizeRow: [],
  };
  for (let pass = 0; pass < 3; pass++) {
    const t: Record<string, number> = { noise: 0, stretch: 0, "stretch+pitch": 0, featurizeRow: 0 };
    for (let i = 0; i < signals.length; i++) {
      for (const row of rows) {
        const t0 = performance.now();
        const y = applyRow(
          signals[i],
          row,
          audio.sampleRateHz,
          augment,
          rowRng(seed, clips[i].id, row.name),
        );
        const t1 = performance.now();
        t[row.name] += t1 - t0;
        if (row.name === "stretch+pitch") {
          extractor.extractVector(y);
          t.featurizeRow += performance.now() - t1;
        }
      }
    }
    if (pass > 0) { for (const k of Object.keys(t)) timings[k].push(t[k] / signals.length); }
  }
  const ms = Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, median(v)]));
  const sp = ms["stretch+pitch"];
  const out: [string, string, string][] = [
    ["noise, classic (ms/clip)", ms.noise.toFixed(2), ""],
    ["time stretch 0.8 (ms/clip)", ms.stretch.toFixed(2), ""],
    [
      "stretch 0.8 then pitch +0.7 (ms/clip)",
      sp.toFixed(2),
      `librosa ${LIBROSA_STRETCH_PITCH_MS} ms: ${
        (LIBROSA_STRETCH_PITCH_MS / sp).toFixed(1)
      }x faster`,
    ],
    [
      "featurize one augmented row, 162-vector (ms)",
      ms.featurizeRow.toFixed(2),
      `librosa ${LIBROSA_FEATURIZE_ROW_MS} ms: ${
        (LIBROSA_FEATURIZE_ROW_MS / ms.featurizeRow).toFixed(1)
      }x faster`,
    ],
  ];
  console.log(
    `\naugment benchmark (${clips.length} clips, single thread, vocoder ${augment.vocoder})`,
  );
  for (const [k, v, r] of out) console.log(`  ${k.padEnd(50)} ${v.padStart(8)}  ${r}`);
  return {
    clips: clips.length,
    vocoder: augment.vocoder,
    msPerClip: ms,
    speedupStretchPitch: LIBROSA_STRETCH_PITCH_MS / sp,
  };
}

const SECTIONS: Record<string, (cfgArgs: string[]) => Promise<Record<string, unknown>>> = {
  featurize: benchFeaturize,
  augment: benchAugment,
  train: benchTrain,
};

if (import.meta.main) {
  const wanted = Deno.args.filter((a) => !a.startsWith("--"));
  const cfgArgs = Deno.args.filter((a) => a.startsWith("--"));
  const names = wanted.length ? wanted : Object.keys(SECTIONS);
  for (const name of names) {
    const run = SECTIONS[name];
    if (!run) {
      console.error(
        `error: unknown bench section '${name}' (sections: ${Object.keys(SECTIONS).join(", ")})`,
      );
      Deno.exit(1);
    }
    const result = await run(cfgArgs);
    const out = projectPath("results", "bench", `${name}.json`);
    await writeJsonAtomic(out, {
      section: name,
      at: new Date().toISOString(),
      deno: Deno.version.deno,
      ...result,
    });
    console.log(`  -> ${out}`);
  }
}
