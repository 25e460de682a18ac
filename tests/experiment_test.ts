/**
 * End to end on a tiny synthetic corpus with a tiny config: featurize -> augment -> train ->
 * evaluate -> run folder -> predict, in seconds. The real corpus run is `deno task reproduce`.
 */
import { join } from "node:path";
import { assert, assertAlmostEquals, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import { tone, writeSyntheticCorpus } from "./helpers.ts";
import { PROSODY_DIM } from "../lib/features/prosody.ts";
import { DEFAULT_CONFIG, parseArgs } from "../lib/config/config.ts";
import { indexCorpus } from "../lib/corpus/index_fs.ts";
import { featurizeCorpus } from "../lib/pipeline/featurize.ts";
import { planExperiment, rowSourceOf, runExperiment } from "../lib/experiment/run.ts";
import { gatherRows, inputKindOf, inputShape } from "../lib/experiment/fold.ts";
import { applyScaler, fitScaler } from "../lib/normalise/scaler.ts";
import { loadModel } from "../lib/model/io_fs.ts";
import { predictProbabilities } from "../lib/model/train.ts";
import { parsePredictionsCsv } from "../lib/run/predictions.ts";
import { PREDICT_FLAGS } from "../lib/cli/predict.ts";
import { createClipFeaturizer } from "../lib/features/clip.ts";
import { fitVoiceScaler, inputOf, predictClip } from "../lib/model/predictor.ts";
import { loadPredictor, readRunRecord, resolveRun } from "../lib/run/store.ts";
import { encodeWav } from "../lib/audio/wav.ts";
import { voice } from "./synthetic_run.ts";
import { checkHtmlRender, haveChromium } from "../lib/notebook/chromium.ts";
import type { ClipFeatures } from "../lib/features/extract.ts";

const quiet = { isTerminal: false, write: () => {} };

Deno.test({
  name:
    "reproduce on a tiny corpus with the portable wasm GEMM writes a complete run folder, and predict uses it on any WAV",
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    await writeSyntheticCorpus(join(tmp, "corpus"), [1, 2, 3, 4], [1, 3, 5, 6]);
    const corpus = await indexCorpus(join(tmp, "corpus"));
    const { config } = parseArgs([
      "--workers=2",
      "--folds=2",
      "--epochs=3",
      "--batchSize=8",
      "--temporal.filters=[8,8]",
      "--denseUnits=8",
      '--recipe=["original","noise"]',
      // The scaler checks below are about the global scaler on raw features.
      "--speakerNorm=none",
      // What a machine with Deno alone trains with (auto picks it when no BLAS loads).
      "--train.gemm=wasm",
      `--resultsDir=${join(tmp, "results")}`,
    ]);
    const features = await featurizeCorpus(config, corpus, quiet, join(tmp, "cache"));
    const out = await runExperiment(config, features, corpus, quiet, join(tmp, "results"));

    const files = [...Deno.readDirSync(out.runDir)].map((e) => e.name).sort();
    assertEquals(files, [
      "config.json",
      "confusion.csv",
      "history.json",
      "metrics.json",
      "models",
      "per_class.csv",
      "predictions.csv",
      "report.html",
    ]);
    const runConfig = JSON.parse(Deno.readTextFileSync(join(out.runDir, "config.json")));
    assertEquals(runConfig.corpus.manifestHash, corpus.manifestHash);
    assertEquals(runConfig.config.train.epochs, 3);
    assert(runConfig.runtime.gemm.startsWith("wasm-simd"), runConfig.runtime.gemm);
    assertEquals(runConfig.protocol.name, "speaker");
    assertEquals(runConfig.seeds.run, 42);
    assert("commit" in runConfig.git);
    const history = JSON.parse(Deno.readTextFileSync(join(out.runDir, "history.json")));
    assertEquals(history.folds.map((f: { epochs: unknown[] }) => f.epochs.length), [3, 3]);
    assertEquals(out.summary.folds.map((f) => f.testActors), [[1, 2], [3, 4]]);
    assertEquals(out.summary.folds.map((f) => f.testRows), [8, 8]);
    assertEquals(
      out.summary.folds.map((f) => f.trainRows),
      [16, 16],
      "8 clips x (original + noise)",
    );
    assert(out.table.includes("speaker"));
    const report = Deno.readTextFileSync(join(out.runDir, "report.html"));
    assert(report.includes("Confusion matrix") && report.includes('<script src="../plotly.js">'));
    // One plotly.js for the whole results folder; a run folder moved alone tries its own folder.
    assert((await Deno.stat(join(tmp, "results", "plotly.js"))).size > 1_000_000);
    assert(report.includes(`window.Plotly || document.write('<script src="plotly.js">`));
    if (await haveChromium()) {
      // Drawn from the shared copy; a run folder moved alone draws once plotly.js is beside it.
      const drawn = await checkHtmlRender(join(out.runDir, "report.html"));
      assert(drawn.plotlySvgs > 0, `report charts: ${JSON.stringify(drawn)}`);
      const moved = join(tmp, "elsewhere", "run");
      await Deno.mkdir(moved, { recursive: true });
      await Deno.copyFile(join(out.runDir, "report.html"), join(moved, "report.html"));
      assertEquals((await checkHtmlRender(join(moved, "report.html"))).plotlySvgs, 0);
      await Deno.copyFile(join(tmp, "results", "plotly.js"), join(moved, "plotly.js"));
      assert((await checkHtmlRender(join(moved, "report.html"))).plotlySvgs > 0, "drawn again");
    } else console.warn("report chart check skipped: no chromium");
    assert(!/(src|href)="(https?:)?\/\//.test(report), "nothing is fetched from the network");
    assert(report.includes("chart-confusion-counts") && report.includes("chart-curves"));

    // Each fold's scaler holds the statistics of that fold's training rows, not of all rows.
    const { plans, augmented } = await planExperiment(config, features, corpus, quiet);
    const src = rowSourceOf(features, augmented);
    const kind = inputKindOf(config);
    const dim = inputShape(kind, src).featureDim;
    for (const plan of plans) {
      const saved = JSON.parse(
        Deno.readTextFileSync(join(out.runDir, "models", plan.name, "scaler.json")),
      );
      const expected = fitScaler(gatherRows(src, plan.train, kind, plan.augmented), dim);
      const withTest = fitScaler(
        gatherRows(src, [...plan.train, ...plan.test], kind, plan.augmented),
        dim,
      );
      saved.mean.forEach((m: number, d: number) => assertAlmostEquals(m, expected.mean[d], 1e-9));
      assert(saved.mean.some((m: number, d: number) => Math.abs(m - withTest.mean[d]) > 1e-3));
    }

    // predict: the latest run, a 16 kHz stereo clip of another length, and a file that is not audio.
    assertEquals(await resolveRun(join(tmp, "results"), ""), out.runDir);
    const { predictor, config: runCfg } = await loadPredictor(out.runDir);
    assertEquals(predictor.members.length, 2 * config.train.ensemble, "2 folds x the members");
    const featurizer = createClipFeaturizer(runCfg.audio, runCfg.features);
    const mono = tone(16000 * 1.7, 330, 16000, 0.4);
    const wav = encodeWav([mono, mono.map((v) => 0.5 * v)], 16000);
    const probs = predictClip(predictor, featurizer.featurize(wav, "tone.wav"));
    assertEquals(probs.length, 8);
    assertAlmostEquals(probs.reduce((a, b) => a + b, 0), 1, 1e-4);
    assertThrows(
      () => featurizer.featurize(new TextEncoder().encode("hello, not a wav"), "notes.txt"),
      Error,
      "notes.txt",
    );
    // predict's own flags go through the one parser with the settings.
    const cli = parseArgs(
      ["a.wav", "--run", "x", "--epochs=2", "--json"],
      undefined,
      PREDICT_FLAGS,
    );
    assertEquals(cli.flags, { run: "x", json: true });
    assertEquals(cli.positional, ["a.wav"]);
    assertEquals(cli.config.train.epochs, 2);

    // The predict command itself: a voice (16 kHz stereo) is classified, digital silence is "no
    // speech" (not an emotion), and a damaged run folder is an error naming the damaged file.
    const spoken = voice(1.7, 16000);
    await Deno.writeFile(
      join(tmp, "tone.wav"),
      encodeWav([spoken, spoken.map((v) => 0.5 * v)], 16000),
    );
    await Deno.writeFile(join(tmp, "silence.wav"), encodeWav(new Float32Array(48000 * 4), 48000));
    const predict = async (run: string, ...files: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "lib/cli/predict.ts", `--run=${run}`, "--json", ...files],
        cwd: new URL("..", import.meta.url).pathname,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const dec = new TextDecoder();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    };
    const ok = await predict(out.runDir, join(tmp, "tone.wav"), join(tmp, "silence.wav"));
    assertEquals(ok.code, 0, ok.stderr);
    const answer = JSON.parse(ok.stdout);
    assertEquals(answer.results.map((r: { speech: boolean }) => r.speech), [true, false]);
    assertEquals(answer.setting, "strict", "the run trained with --speakerNorm=none, and says so");
    assertEquals(answer.results[0].windows, 1);
    assertEquals(answer.results[1].predicted, null);
    assertEquals(answer.results[1].probabilities, null);
    assert(answer.results[1].why.startsWith("nothing voiced"), answer.results[1].why);
    assertEquals(Object.keys(answer.results[0].probabilities).length, 8);
    const damaged = join(tmp, "damaged");
    await Deno.mkdir(damaged);
    await new Deno.Command("cp", { args: ["-r", out.runDir, damaged] }).output();
    const copy = join(damaged, out.runDir.split("/").pop()!);
    const weights = join(copy, "models", "fold-1-2", "weights.bin");
    const full = await Deno.readFile(weights);
    await Deno.writeFile(weights, full.subarray(0, full.length - 100));
    const cut = await predict(copy, join(tmp, "tone.wav"));
    assertEquals(cut.code, 1);
    assert(
      cut.stderr.includes(`${weights}: ${full.length - 100} bytes, but model.json lists`),
      cut.stderr,
    );
    await Deno.writeTextFile(join(copy, "config.json"), '{"config": ');
    const broken = await predict(copy, join(tmp, "tone.wav"));
    assertEquals(broken.code, 1);
    assert(broken.stderr.includes(`${join(copy, "config.json")}: not valid JSON`), broken.stderr);
  },
});

Deno.test({
  name:
    "the random and seed-leaky protocols, the 7-class label set and per-speaker normalisation run end to end and say so",
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    await writeSyntheticCorpus(join(tmp, "corpus"), [1, 2], [1, 2, 3, 5]);
    const corpus = await indexCorpus(join(tmp, "corpus"));
    const base = [
      "--workers=2",
      "--epochs=1",
      "--batchSize=8",
      "--temporal.filters=[4]",
      "--denseUnits=4",
      '--recipe=["original","noise"]',
      "--testFraction=0.5",
    ];
    const features = await featurizeCorpus(parseArgs(base).config, corpus, quiet, join(tmp, "c"));
    const random = await runExperiment(
      parseArgs([...base, "--protocol=random", "--labels=7class"]).config,
      features,
      corpus,
      quiet,
      join(tmp, "results"),
    );
    assertEquals(random.summary.protocol, "random");
    assert(!random.summary.leaky);
    assertEquals(random.summary.primary.labels.length, 7);
    assertEquals(random.summary.merged7, undefined, "a 7-class model has no merged view");
    assertEquals(random.summary.folds[0].testRows, 4, "half of each emotion's 2 clips");
    assertEquals(random.summary.folds[0].trainRows, 8, "4 training clips x (original + noise)");
    // The classic recipe: its protocol with its network (the 162-value vector, one column).
    const leaky = await runExperiment(
      parseArgs([...base, "--protocol=seed-leaky", "--model=seed"]).config,
      features,
      corpus,
      quiet,
      join(tmp, "results"),
    );
    assert(leaky.summary.leaky);
    assert(leaky.table.includes("LEAKY"));
    assert(Deno.readTextFileSync(join(leaky.runDir, "report.html")).includes("LEAKY PROTOCOL"));
    assertEquals(leaky.summary.folds[0].trainRows + leaky.summary.folds[0].testRows, 16);
    const leakyRecord = await readRunRecord(leaky.runDir);
    assertEquals(leakyRecord.input.kind, "vector");
    assertEquals(leakyRecord.input.rowShape, [162, 1]);
    assertEquals(Object.values(leakyRecord.members)[0].channels, [0, 1]);

    // Per-speaker normalisation: declared wherever the protocol is, and what the scaler sees is
    // already centred per actor (with original rows only, its fitted means are 0, unlike the
    // plain run's log-mel levels).
    const originalsOnly = [...base, "--folds=2", '--recipe=["original"]'];
    const plain = await runExperiment(
      parseArgs([...originalsOnly, "--speakerNorm=none"]).config,
      features,
      corpus,
      quiet,
      join(tmp, "results"),
    );
    const normed = await runExperiment(
      parseArgs([...originalsOnly, "--speakerNorm=per-speaker"]).config,
      features,
      corpus,
      quiet,
      join(tmp, "results"),
    );
    assert(normed.summary.protocolText.includes("per-speaker normalisation"));
    assert(!plain.summary.protocolText.includes("per-speaker"));
    const meta = JSON.parse(Deno.readTextFileSync(join(normed.runDir, "config.json")));
    assertEquals(meta.protocol.speakerNorm, "per-speaker");
    const scalerOf = (dir: string) =>
      JSON.parse(Deno.readTextFileSync(join(dir, "models", "fold-1", "scaler.json")));
    const maxAbsMean = (dir: string) => Math.max(...scalerOf(dir).mean.map(Math.abs));
    assert(maxAbsMean(normed.runDir) < 1e-4, `normalised means ${maxAbsMean(normed.runDir)}`);
    assert(maxAbsMean(plain.runDir) > 1, `raw log-mel means ${maxAbsMean(plain.runDir)}`);
    const online = await runExperiment(
      parseArgs([...originalsOnly, "--speakerNorm=online"]).config,
      features,
      corpus,
      quiet,
      join(tmp, "results"),
    );
    assert(online.summary.protocolText.includes("online per-speaker normalisation"));
    // Training actors are normalised with their full statistics, as in the per-speaker run.
    assert(maxAbsMean(online.runDir) < 1e-4, `online means ${maxAbsMean(online.runDir)}`);

    // Per-clip normalisation (strict): each clip centred over its own frames, so the global
    // scaler again meets zero means; predict applies the same to a new clip.
    const perClip = await runExperiment(
      parseArgs([...originalsOnly, "--speakerNorm=per-clip"]).config,
      features,
      corpus,
      quiet,
      join(tmp, "results"),
    );
    assert(perClip.summary.protocolText.includes("per-clip normalisation"));
    assert(maxAbsMean(perClip.runDir) < 1e-4, `per-clip means ${maxAbsMean(perClip.runDir)}`);
    const { predictor: clipPredictor } = await loadPredictor(perClip.runDir);
    assert(clipPredictor.perClip);
    const someClip = createClipFeaturizer(DEFAULT_CONFIG.audio, DEFAULT_CONFIG.features)
      .featurize(encodeWav(tone(22050, 300, 22050), 22050), "tone.wav");
    const louder = createClipFeaturizer(DEFAULT_CONFIG.audio, DEFAULT_CONFIG.features)
      .featurize(encodeWav(tone(22050, 300, 22050, 0.9), 22050), "louder.wav");
    const [p1, p2] = [someClip, louder].map((c) => Array.from(predictClip(clipPredictor, c)));
    // Log-mel is loudness plus shape: removing each clip's own mean makes level not matter.
    p1.forEach((p, i) => assert(Math.abs(p - p2[i]) < 0.02, `${p} vs ${p2[i]}`));
    clipPredictor.members.forEach((m) => m.model.dispose());

    // Per-clip prosody (strict): only the prosody block, last in each frame, is centred per
    // clip; MFCC keeps its levels (c0 is far from zero), and predict knows which columns.
    const prosodyRun = await runExperiment(
      parseArgs([
        ...originalsOnly,
        "--temporal.input=mfccDeltaProsody",
        "--speakerNorm=per-clip-prosody",
      ]).config,
      features,
      corpus,
      quiet,
      join(tmp, "results"),
    );
    assert(prosodyRun.summary.protocolText.includes("per-clip prosody normalisation"));
    const means: number[] = scalerOf(prosodyRun.runDir).mean;
    const prosodyFrom = means.length - PROSODY_DIM;
    assert(Math.max(...means.slice(prosodyFrom).map(Math.abs)) < 1e-4, "prosody centred per clip");
    assert(Math.abs(means[0]) > 1, `MFCC c0 keeps its level (${means[0]})`);
    const { predictor: prosodyPredictor } = await loadPredictor(prosodyRun.runDir);
    assertEquals(prosodyPredictor.perClip, [prosodyFrom, means.length]);
    prosodyPredictor.members.forEach((m) => m.model.dispose());

    // Per-clip prosody and level (strict): MFCC 0 is now relative to each clip's own mean, so
    // the scaler meets zero there too, and predict levels a new clip the same way: the same
    // tone louder gets the same answer.
    const levelRun = await runExperiment(
      parseArgs([
        ...originalsOnly,
        "--temporal.input=mfccDeltaProsody",
        "--speakerNorm=per-clip-prosody-level",
      ]).config,
      features,
      corpus,
      quiet,
      join(tmp, "results"),
    );
    assert(levelRun.summary.protocolText.includes("level normalisation"));
    const levelMeans: number[] = scalerOf(levelRun.runDir).mean;
    assert(Math.abs(levelMeans[0]) < 1e-3, `MFCC 0 centred per clip (${levelMeans[0]})`);
    const { predictor: levelPredictor } = await loadPredictor(levelRun.runDir);
    assertEquals(levelPredictor.clipLevel?.c0, 0);
    const [q1, q2] = [someClip, louder].map((c) => Array.from(predictClip(levelPredictor, c)));
    q1.forEach((p, i) => assert(Math.abs(p - q2[i]) < 0.02, `${p} vs ${q2[i]}`));
    levelPredictor.members.forEach((m) => m.model.dispose());

    // Both frame sequences side by side: each frame holds its 40 log-mel bands, then its 60
    // MFCC + delta values; the scaler and the saved model see 100 values per frame.
    const bothArgs = [...originalsOnly, "--temporal.input=logmelMfccDelta"];
    const both = await runExperiment(
      parseArgs(bothArgs).config,
      features,
      corpus,
      quiet,
      join(tmp, "results"),
    );
    const width = features.rows.dims.logmel + features.rows.dims.mfccDelta;
    assertEquals(scalerOf(both.runDir).mean.length, width);
    const src = rowSourceOf(features, []);
    const rows = [{ clip: 3, derived: -1 }, { clip: 5, derived: -1 }];
    const x = gatherRows(src, rows, "logmelMfccDelta", 0);
    const T = features.rows.dims.frames;
    assertEquals(x.length, 2 * T * width);
    for (const [i, { clip }] of rows.entries()) {
      for (const t of [0, 17, T - 1]) {
        const frame = x.subarray((i * T + t) * width, (i * T + t + 1) * width);
        const mel = features.rows.logmel.subarray((clip * T + t) * 40, (clip * T + t + 1) * 40);
        const mfcc = features.rows.mfccDelta.subarray((clip * T + t) * 60, (clip * T + t + 1) * 60);
        assertEquals(Array.from(frame), [...mel, ...mfcc]);
      }
    }
    const { predictor } = await loadPredictor(both.runDir);
    assertEquals(predictor.input, "logmelMfccDelta");
    assertEquals(predictor.rowShape, [T, width]);
    const bothConfig = parseArgs(bothArgs).config;
    const clip = createClipFeaturizer(bothConfig.audio, bothConfig.features)
      .featurize(encodeWav([tone(22050 * 3, 220, 22050, 0.3)], 22050), "tone.wav");
    const input = inputOf(clip, "logmelMfccDelta");
    assertEquals(
      Array.from(input.subarray(width, width + 40)),
      Array.from(clip.sequence.logmel.subarray(40, 80)),
    );
    const probs = predictClip(predictor, clip, fitVoiceScaler(predictor, [clip]));
    assertAlmostEquals(probs.reduce((a, b) => a + b, 0), 1, 1e-4);
  },
});

Deno.test({
  name:
    "train.ensemble=2 trains two networks per fold, saves both, and reports the mean of their probabilities, whether they train side by side in workers or in turn",
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    await writeSyntheticCorpus(join(tmp, "corpus"), [1, 2, 3, 4], [1, 3, 5, 6]);
    const corpus = await indexCorpus(join(tmp, "corpus"));
    const base = [
      "--workers=2",
      "--folds=2",
      "--epochs=2",
      "--batchSize=8",
      "--temporal.filters=[8]",
      "--denseUnits=8",
      '--recipe=["original"]',
      "--speakerNorm=none",
      // Members that all see the same log-mel input (the mixed ensemble comes last).
      "--temporal.input=logmel",
      "--memberInputs=[]",
      // The networks' mean alone (the linear member's blend has its own test).
      "--train.linearWeight=0",
    ];
    const features = await featurizeCorpus(parseArgs(base).config, corpus, quiet, join(tmp, "c"));
    const run = (extra: string[]) =>
      runExperiment(parseArgs([...base, ...extra]).config, features, corpus, quiet, join(tmp, "r"));
    const single = await run(["--ensemble=1"]);
    const ensemble = await run(["--ensemble=2", "--parallel=2"]);
    // The same four networks trained one after another in this thread: the same numbers.
    const inThread = await run(["--ensemble=2", "--parallel=1"]);
    assertEquals(
      Deno.readTextFileSync(join(inThread.runDir, "predictions.csv")),
      Deno.readTextFileSync(join(ensemble.runDir, "predictions.csv")),
    );
    const runtimeOf = (dir: string) =>
      JSON.parse(Deno.readTextFileSync(join(dir, "config.json"))).runtime;
    assertEquals(runtimeOf(ensemble.runDir).networksAtOnce, 2);
    assertEquals(runtimeOf(inThread.runDir).networksAtOnce, 1);

    const models = [...Deno.readDirSync(join(ensemble.runDir, "models"))].map((e) => e.name);
    assertEquals(models.sort(), ["fold-1-2", "fold-1-2-m2", "fold-3-4", "fold-3-4-m2"]);
    const meta = JSON.parse(Deno.readTextFileSync(join(ensemble.runDir, "config.json")));
    assertEquals(meta.folds[1].models, ["fold-3-4", "fold-3-4-m2"]);
    assertEquals(meta.seeds.models, {
      "fold-1-2": 42,
      "fold-1-2-m2": 142,
      "fold-3-4": 1042,
      "fold-3-4-m2": 1142,
    });
    assertEquals((await loadPredictor(ensemble.runDir)).predictor.members.length, 4);

    const probsOf = (dir: string) =>
      parsePredictionsCsv(Deno.readTextFileSync(join(dir, "predictions.csv")), dir);
    const ensembleRows = probsOf(ensemble.runDir);
    const singleRows = probsOf(single.runDir);
    const { plans, augmented } = await planExperiment(
      parseArgs(base).config,
      features,
      corpus,
      quiet,
    );
    const src = rowSourceOf(features, augmented);
    const kind = inputKindOf(parseArgs(base).config);
    const { rowShape } = inputShape(kind, src);
    const labels = Object.keys(ensembleRows[0].probabilities);
    let membersDiffer = false;
    let offset = 0;
    for (const plan of plans) {
      const memberProbs: Float32Array[] = [];
      for (const name of [plan.name, `${plan.name}-m2`]) {
        const dir = join(ensemble.runDir, "models", name);
        const scaler = JSON.parse(Deno.readTextFileSync(join(dir, "scaler.json")));
        const model = await loadModel(dir);
        const x = applyScaler(scaler, gatherRows(src, plan.test, kind, plan.augmented));
        memberProbs.push(predictProbabilities(model, x, rowShape));
        model.dispose();
      }
      plan.test.forEach((_, i) => {
        labels.forEach((label, c) => {
          const a = memberProbs[0][i * labels.length + c];
          const b = memberProbs[1][i * labels.length + c];
          if (Math.abs(a - b) > 1e-3) membersDiffer = true;
          assertAlmostEquals(ensembleRows[offset + i].probabilities[label], (a + b) / 2, 1e-4);
          // The first member is the single network of the same seed.
          assertAlmostEquals(singleRows[offset + i].probabilities[label], a, 1e-4);
        });
      });
      offset += plan.test.length;
    }
    assert(membersDiffer, "members trained from different seeds disagree somewhere");

    // Members that see different features of one input: the first sees the log-mel half of
    // each frame and is exactly the single log-mel network; the second sees MFCC + deltas.
    const mixed = await run([
      "--ensemble=2",
      "--temporal.input=logmelMfccDelta",
      "--memberInputs=[logmel,mfccDelta]",
    ]);
    const mixedMeta = JSON.parse(Deno.readTextFileSync(join(mixed.runDir, "config.json")));
    const L = features.rows.dims.logmel, W = L + features.rows.dims.mfccDelta;
    const fold1 = plans[0].name;
    assertEquals(mixedMeta.members[fold1], { input: "logmel", channels: [0, L] });
    assertEquals(mixedMeta.members[`${fold1}-m2`], { input: "mfccDelta", channels: [L, W] });
    const { predictor: mixedPredictor } = await loadPredictor(mixed.runDir);
    const T = features.rows.dims.frames;
    const mixedRows = probsOf(mixed.runDir);
    offset = 0;
    for (const plan of plans) {
      const first = await loadModel(join(mixed.runDir, "models", plan.name));
      assertEquals(first.inputs[0].shape, [null, T, L]);
      const firstProbs = predictProbabilities(
        first,
        applyScaler(
          JSON.parse(
            Deno.readTextFileSync(join(single.runDir, "models", plan.name, "scaler.json")),
          ),
          gatherRows(src, plan.test, "logmel", plan.augmented),
        ),
        [T, L],
      );
      first.dispose();
      plan.test.forEach((row, i) => {
        labels.forEach((label, c) => {
          const a = firstProbs[i * labels.length + c];
          assertAlmostEquals(singleRows[offset + i].probabilities[label], a, 1e-4);
        });
        // deno task predict's path, with each member's channels, gives the run's own numbers
        // (fold models of both folds averaged, so compare with a predictor of this fold only).
        const clipFeatures = {
          sequence: {
            nFrames: T,
            logmel: features.rows.logmel.subarray(row.clip * T * L, (row.clip + 1) * T * L),
            mfccDelta: features.rows.mfccDelta.subarray(
              row.clip * T * (W - L),
              (row.clip + 1) * T * (W - L),
            ),
          },
        } as unknown as ClipFeatures;
        const own = {
          ...mixedPredictor,
          members: mixedPredictor.members.filter((m) => m.name.startsWith(plan.name)),
        };
        const probs = predictClip(own, clipFeatures);
        labels.forEach((label, c) => {
          assertAlmostEquals(mixedRows[offset + i].probabilities[label], probs[c], 1e-4);
        });
      });
      offset += plan.test.length;
    }
  },
});

Deno.test({
  name: "a run whose loss turns non-finite stops with a clear error and leaves no run folder",
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    await writeSyntheticCorpus(join(tmp, "corpus"), [1, 2], [1, 3]);
    const corpus = await indexCorpus(join(tmp, "corpus"));
    const { config } = parseArgs([
      "--workers=1",
      "--folds=2",
      "--epochs=3",
      "--batchSize=4",
      "--temporal.filters=[4]",
      "--denseUnits=4",
      '--recipe=["original"]',
      "--speakerNorm=none",
      "--ensemble=1",
      // Adam steps of 1e30 overflow float32 within a batch or two.
      "--learningRate=1e30",
      `--resultsDir=${join(tmp, "results")}`,
    ]);
    const features = await featurizeCorpus(config, corpus, quiet, join(tmp, "cache"));
    const err = await assertRejects(
      () => runExperiment(config, features, corpus, quiet, join(tmp, "results")),
      Error,
      "training diverged: the loss is NaN",
    );
    assert(err.message.includes("Lower train.learningRate"), err.message);
    const left = await Array.fromAsync(Deno.readDir(join(tmp, "results"))).catch(() => []);
    assertEquals(left.filter((e) => e.isDirectory), [], "no run folder");
    await Deno.remove(tmp, { recursive: true });
  },
});
