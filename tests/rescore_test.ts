/**
 * Scoring a trained run again without training (`deno task rescore`), and test-time
 * augmentation (`eval.tta`): the same networks give the same predictions, the variants of a
 * test clip are averaged into it, and a setting that would change the networks is refused.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import { writeSyntheticCorpus } from "./helpers.ts";
import { linearMemberWeight, parseArgs, validateConfig } from "../lib/config/config.ts";
import { indexCorpus } from "../lib/corpus/index_fs.ts";
import { featurizeCorpus } from "../lib/pipeline/featurize.ts";
import { planExperiment, runExperiment } from "../lib/experiment/run.ts";
import { withLaterWindows } from "../lib/experiment/fold.ts";
import { SCORING_SETTINGS, typedSettings } from "../lib/cli/rescore.ts";
import { exportRun } from "../lib/cli/export.ts";
import { DEFAULT_CONFIG, withOverrides } from "../lib/config/config.ts";
import { loadRunModel } from "../lib/run/store.ts";
import { analyseSource } from "../lib/live/recording.ts";
import { scoreRecording } from "../lib/live/timeline.ts";
import { bytesSource, encodeWav } from "../lib/audio/wav.ts";
import {
  inputOf,
  linearLeftOut,
  MIN_LINEAR_VOICE_WINDOWS,
  predictInput,
} from "../lib/model/predictor.ts";
import { scoreLinearMember } from "../lib/model/linear_member.ts";
import { FUNCTIONALS, inputFunctionals } from "../lib/features/functionals.ts";
import { applyScaler } from "../lib/normalise/scaler.ts";
import { voice, writeSyntheticRun } from "./synthetic_run.ts";

const quiet = { isTerminal: false, write: () => {} };

const TINY = [
  "--workers=2",
  "--folds=2",
  "--epochs=2",
  "--batchSize=8",
  "--temporal.filters=[8,8]",
  "--denseUnits=8",
  '--recipe=["original","noise"]',
  "--train.ensemble=2",
  "--temporal.memberInputs=[logmel,mfccDelta]",
  "--temporal.input=logmelMfccDelta",
  "--train.gemm=wasm",
];

Deno.test({
  name:
    "a stored run scored again by its own networks gives the same predictions; with eval.tta each test clip averages its variants",
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    await writeSyntheticCorpus(join(tmp, "corpus"), [1, 2, 3, 4], [1, 3, 5, 6]);
    const corpus = await indexCorpus(join(tmp, "corpus"));
    const results = join(tmp, "results");
    const { config } = parseArgs([...TINY, `--resultsDir=${results}`]);
    const features = await featurizeCorpus(config, corpus, quiet, join(tmp, "cache"));
    const trained = await runExperiment(config, features, corpus, quiet, results);
    const csv = (dir: string) => Deno.readTextFileSync(join(dir, "predictions.csv"));

    const again = await runExperiment(config, features, corpus, quiet, results, {
      networksOf: trained.runDir,
    });
    assert(again.runDir !== trained.runDir, "a new run folder; the trained one is untouched");
    assertEquals(csv(again.runDir), csv(trained.runDir));
    assertEquals(again.summary.primary.accuracy, trained.summary.primary.accuracy);
    assert(again.summary.protocolText.includes(`scored with the networks`));

    // Two variants of every clip: each test clip is now scored on three rows.
    const tta = parseArgs([...TINY, "--eval.tta=[pitch@-1,stretch@1.1]"]).config;
    const { plans, src } = await planExperiment(tta, features, corpus, quiet);
    assertEquals(src.variants!.clip.length, 2 * corpus.clips.length);
    const rows = withLaterWindows(src, plans[0].test);
    assertEquals(rows.length, 3 * plans[0].test.length);
    for (const r of rows.slice(plans[0].test.length)) {
      assert(plans[0].test.some((t) => t.clip === r.clip), "only the plan's test clips vary");
    }
    // Variants are never training rows.
    assert(plans.every((p) => p.train.every((r) => r.variant === undefined)));
    const varied = await runExperiment(tta, features, corpus, quiet, results, {
      networksOf: trained.runDir,
    });
    assert(csv(varied.runDir) !== csv(trained.runDir), "the variants move the probabilities");
    assert(varied.summary.protocolText.includes("variants pitch@-1, stretch@1.1"));
    const record = JSON.parse(Deno.readTextFileSync(join(varied.runDir, "config.json")));
    assertEquals(record.config.eval.tta, ["pitch@-1", "stretch@1.1"]);

    // Networks of another config are refused, naming the scaler that does not match.
    const other = parseArgs([...TINY, '--recipe=["original"]']).config;
    await assertRejects(
      () => runExperiment(other, features, corpus, quiet, results, { networksOf: trained.runDir }),
      Error,
      "scaler.json: the scaler fitted now differs",
    );
  },
});

Deno.test("rescore changes only how clips are scored; eval.tta takes variants only", () => {
  assertEquals(typedSettings(["--run=x", "--eval.tta=[pitch@1]", "--data", "d"]), [
    "eval.tta",
    "data.dir",
  ]);
  assert(typedSettings(["--epochs=3"]).every((k) => !SCORING_SETTINGS.includes(k)));
  assertThrows(
    () => validateConfig(parseArgs(["--eval.tta=[original]"]).config),
    Error,
    "'original' is the clip itself",
  );
  assertThrows(
    () => validateConfig(parseArgs(["--eval.tta=[pitch@0]"]).config),
    Error,
    "a pitch shift of 0 changes nothing",
  );
  assertThrows(
    () => validateConfig(parseArgs(["--eval.tta=[pitch@1]", "--speakerNorm=online"]).config),
    Error,
    "does not combine with eval.speakerNorm=online",
  );
});

Deno.test({
  name:
    "predict and the live page score a run's test-time variants beside each window, as evaluation does",
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    const config = withOverrides(DEFAULT_CONFIG, {
      "eval.speakerNorm": "none",
      "eval.tta": "[pitch@-1,pitch@1]",
      "temporal.input": "logmelMfccDelta",
    });
    const id = await writeSyntheticRun(tmp, config);
    const model = await loadRunModel(join(tmp, id));
    const wav = encodeWav(voice(2.4, 22050), 22050);
    const r = analyseSource(bytesSource(wav), "voice.wav", model, config.live);
    const a = r.analysis;
    const w = a.windows.findIndex((x) => x.speech);
    assert(w >= 0, "the voice is heard");
    const y = a.store.read(a.starts[w], a.starts[w] + a.window);
    const variants = model.variants(y);
    assertEquals(variants.length, 2);
    const probsOf = (s: Float32Array) =>
      predictInput(model.predictor, inputOf(model.extractor.extract(s), model.predictor.input));
    const expected = [y, ...variants].map(probsOf).reduce(
      (sum, p) => sum.map((v, c) => v + p[c] / 3),
      new Float32Array(8),
    );
    const mean = scoreRecording(
      a,
      model.predictor,
      model.extractor,
      undefined,
      true,
      model.variants,
    )!;
    assertEquals(a.windows.filter((x) => x.speech).length, 1);
    mean.forEach((p, c) => assert(Math.abs(p - expected[c]) < 1e-5, `${p} vs ${expected[c]}`));
    const alone = scoreRecording(a, model.predictor, model.extractor)!;
    assert(alone.some((p, c) => Math.abs(p - mean[c]) > 1e-6), "the variants move the answer");
  },
});

Deno.test({
  name:
    "a run with a linear member: each fold's member is written beside its networks, rescoring fits the same one, and predict blends the members as evaluation does",
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    await writeSyntheticCorpus(join(tmp, "corpus"), [1, 2, 3, 4], [1, 3, 5, 6]);
    const corpus = await indexCorpus(join(tmp, "corpus"));
    const results = join(tmp, "results");
    // Prosody in the input, so the member's pitch columns are summarised over voiced frames.
    const args = [
      ...TINY,
      "--temporal.input=logmelMfccDeltaProsody",
      "--temporal.memberInputs=[mfccDeltaProsody,logmel]",
      `--resultsDir=${results}`,
    ];
    const { config } = parseArgs([...args, "--train.linearWeight=0.3"]);
    const features = await featurizeCorpus(config, corpus, quiet, join(tmp, "cache"));
    const trained = await runExperiment(config, features, corpus, quiet, results);
    const record = JSON.parse(Deno.readTextFileSync(join(trained.runDir, "config.json")));
    for (const fold of record.folds) {
      assertEquals(fold.linear, `${fold.name}-linear`);
      const member = JSON.parse(
        Deno.readTextFileSync(join(trained.runDir, "models", fold.linear, "linear.json")),
      );
      assertEquals(member.weight, 0.3);
      assertEquals(member.perVoice, true, "per-speaker runs standardise functionals per voice");
    }
    assert(trained.summary.protocolText.includes("linear member on clip functionals"));
    const csv = (dir: string) => Deno.readTextFileSync(join(dir, "predictions.csv"));
    const again = await runExperiment(config, features, corpus, quiet, results, {
      networksOf: trained.runDir,
    });
    assertEquals(csv(again.runDir), csv(trained.runDir), "the member is fitted the same again");
    const networksOnly = await runExperiment(
      parseArgs([...args, "--train.linearWeight=0"]).config,
      features,
      corpus,
      quiet,
      results,
      { networksOf: trained.runDir },
    );
    assert(csv(networksOnly.runDir) !== csv(trained.runDir), "the member moves the probabilities");
    assert(SCORING_SETTINGS.includes("train.linearWeight"), "rescore may weigh it in or out");
    // predict and the live page read the members too, and blend them as evaluation did.
    const model = await loadRunModel(trained.runDir);
    const p = model.predictor;
    assertEquals(p.linear?.length, 2, "one linear member per fold");
    const wav = encodeWav(voice(6, 22050), 22050);
    const a = analyseSource(bytesSource(wav), "voice.wav", model, config.live).analysis;
    const speaker = a.voice.scaler();
    assert(speaker.functionals, "the voice's statistics include its windows' functionals");
    const input = a.kept.get(a.windows.findIndex((w) => w.speech))!;
    const networks = predictInput({ ...p, linear: undefined }, input, speaker);
    const functionals = applyScaler(
      speaker.functionals,
      inputFunctionals(input, 1, p.linear![0].layout),
    );
    const linear = p.linear!.map((m) => scoreLinearMember(m, functionals));
    // Six seconds give a few windows: too few for the member's per-voice statistics, so the
    // networks answer alone, and the sentence about the voice says so.
    assert(speaker.functionalWindows! < MIN_LINEAR_VOICE_WINDOWS);
    assert(linearLeftOut(p, speaker));
    assertEquals([...predictInput(p, input, speaker)], [...networks]);
    // A voice heard long enough gets the member, blended as evaluation blends it.
    const enough = { ...speaker, functionalWindows: MIN_LINEAR_VOICE_WINDOWS };
    assert(!linearLeftOut(p, enough));
    const blended = predictInput(p, input, enough);
    blended.forEach((v, c) => {
      const expected = 0.7 * networks[c] + 0.3 * (linear[0][c] + linear[1][c]) / 2;
      assert(Math.abs(v - expected) < 1e-6, `class ${c}: ${v} against ${expected}`);
    });
    assertThrows(
      () => predictInput(p, input, { ...enough, functionals: undefined }),
      Error,
      "standardises functionals per voice",
    );
    assert(scoreRecording(a, p, model.extractor, speaker) !== null);
    // The ONNX export carries each fold's linear member and says how it is averaged in.
    const files = await exportRun(trained.runDir);
    assert(files.some((f) => f.endsWith(join("fold-1-2-linear", "model.onnx"))), files.join());
    const ensemble = JSON.parse(
      Deno.readTextFileSync(join(trained.runDir, "onnx", "ensemble.json")),
    );
    assertEquals(ensemble.linear.weight, 0.3);
    assertEquals(ensemble.linear.input.statistics, [...FUNCTIONALS], "which statistics, in order");
    assert(ensemble.linear.input.before.includes("speaker's own clips' functionals"));
    // The classic seed network's 162 values have no frames to summarise: it has none.
    assertEquals(linearMemberWeight(parseArgs(["--model=seed"]).config), 0);
    assertEquals(linearMemberWeight(parseArgs([]).config), 0.5, "the frame networks' default");
    assertThrows(
      () => validateConfig(parseArgs(["--train.linearWeight=1"]).config),
      Error,
      "train.linearWeight must be in [0, 1)",
    );
  },
});
