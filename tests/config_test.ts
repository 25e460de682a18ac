import { assert, assertEquals, assertThrows } from "./assert.ts";
import {
  canonicalJson,
  DEFAULT_CONFIG,
  type FlagSpec,
  parseArgs,
  strictTwin,
} from "../lib/config/config.ts";

Deno.test("config: --key=value overrides a leaf by dotted path or unique name, typed", () => {
  const { config, positional } = parseArgs([
    "--features.nMels=64",
    "--hopLength",
    "256",
    "clip.wav",
    "--data",
    "/corpus",
  ]);
  assertEquals(config.features.nMels, 64);
  assertEquals(config.features.hopLength, 256);
  assertEquals(config.data.dir, "/corpus");
  assertEquals(positional, ["clip.wav"]);
  assertEquals(DEFAULT_CONFIG.features.nMels, 128, "defaults are never mutated");
  assertEquals(parseArgs(["--data.download=false"]).config.data.download, false);
  // Lists as JSON, or as bare words when the shell has eaten the quotes.
  assertEquals(parseArgs(['--recipe=["original","noise"]']).config.augment.recipe, [
    "original",
    "noise",
  ]);
  assertEquals(parseArgs(["--split.testActors=[21, 22]"]).config.split.testActors, [21, 22]);
  const mixed = parseArgs(["--input=logmelMfccDelta", "--memberInputs=[logmel,mfccDelta]"]);
  assertEquals(mixed.config.temporal.memberInputs, ["logmel", "mfccDelta"]);
});

Deno.test("config: unknown, ambiguous, mistyped and invalid settings are errors that say so", () => {
  assertThrows(
    () => parseArgs(["--nmels=3"]),
    Error,
    "unknown setting --nmels (did you mean --features.nMels?)",
  );
  assertThrows(
    () => parseArgs(["--nMels=lots"]),
    Error,
    "--features.nMels: expected a number, got 'lots'",
  );
  assertThrows(() => parseArgs(["--nFft=1000"]), Error, "features.nFft must be a power of two");
  assertThrows(
    () => parseArgs(["--audio.resampler=linear"]),
    Error,
    "audio.resampler must be one of kaiser_best (got linear)",
  );
  // Several networks at once share one BLAS thread pool: only one thread each.
  assertThrows(
    () => parseArgs(["--threads=2"]),
    Error,
    "train.threads=2 needs train.parallel=1",
  );
  assertEquals(parseArgs(["--threads=2", "--parallel=1"]).config.train.threads, 2);
  // A member can only see part of what the run extracts.
  assertThrows(
    () => parseArgs(["--input=logmel", "--memberInputs=[logmel,mfccDelta]"]),
    Error,
    "temporal.memberInputs: mfccDelta is not part of temporal.input=logmel",
  );
  assertThrows(
    () => parseArgs(["--input=logmelMfccDelta", "--memberInputs=[mfcc]"]),
    Error,
    "temporal.memberInputs: mfcc is not one of logmel, mfccDelta, prosody, logmelMfccDelta",
  );
  assertThrows(
    () => parseArgs(["--input=logmelMfccDelta", "--memberInputs=[mfccDeltaProsody]"]),
    Error,
    "temporal.memberInputs: mfccDeltaProsody is not part of temporal.input=logmelMfccDelta",
  );
  assertThrows(
    () => parseArgs(["--labelSmoothing=1"]),
    Error,
    "train.labelSmoothing must be in [0, 1)",
  );
});

Deno.test("config: canonical JSON sorts keys, so equal configs hash equally", () => {
  assertEquals(
    canonicalJson({ b: 1, a: { d: 2, c: 3 } }),
    canonicalJson({ a: { c: 3, d: 2 }, b: 1 }),
  );
});

Deno.test("config: every section is checked when parsed, before any work, with the setting's name", () => {
  const cases: [string[], string][] = [
    [["--augment.recipe=[noize]"], "augment.recipe: row 'noize': unknown step 'noize'"],
    [["--augment.recipe=[bogus]"], "augment.recipe: row 'bogus': unknown step 'bogus'"],
    [['--recipe=["original","stretch+pich"]'], "row 'stretch+pich': unknown step 'pich'"],
    [["--recipe=[original,pitch@]"], "'pitch@': the size after @ must be one number"],
    [
      ["--speakerNorm=per-clip-prosody", "--temporal.input=logmelMfccDelta"],
      "per-clip-prosody needs prosody in temporal.input",
    ],
    [["--model=seed", "--speakerNorm=per-clip"], "per-clip needs frame inputs"],
    [["--recipe=[original,noise@3]"], "'noise@3': only pitch and stretch take a size"],
    [["--recipe=[original,stretch@-1]"], "'stretch@-1': a stretch rate must be > 0"],
    [["--recipe=[]"], "augment.recipe must be a non-empty list"],
    [["--augment.noise=gauss"], "augment.noise must be one of classic, snr (got gauss)"],
    [["--split.folds=1"], "split.folds must be an integer >= 2 (got 1"],
    [["--split.testActors=[a,b]"], "split.testActors must be a list of actor numbers"],
    [["--split.testActors=[7,7]"], "split.testActors lists an actor twice"],
    [["--testActors=[7,8]", "--valActors=[8]"], "actor 8 is both a test and a validation actor"],
    [["--seed=1.5"], "seed must be an integer (got 1.5)"],
    [["--data.md5=xyz"], "data.md5 must be 32 hex digits"],
    [["--stretchRate=0"], "augment.stretchRate must be in (0, 4]"],
    [["--shiftMode=wrap"], "augment.shiftMode must be one of roll, silence"],
    [["--train.kernels=cuda"], "train.kernels must be one of fused, stock"],
    [["--train.engine=torch"], "train.engine must be one of static, tfjs (got torch)"],
    // Four settings nothing checked before.
    [["--features.topDb=0"], "features.topDb must be > 0 dB"],
    [["--temporal.kernelSize=0"], "temporal.kernelSize must be an integer >= 1 (got 0)"],
    [["--temporal.denseUnits=2.5"], "temporal.denseUnits must be an integer >= 1 (got 2.5)"],
    [["--temporal.dilations=[1,2]"], "one integer >= 1 per block of temporal.filters (got [1,2])"],
    [["--temporal.dilations=[1,2,2]", "--train.engine=tfjs"], "need train.engine=static"],
    [["--train.minLr=0.5"], "train.minLr must be from 0 to train.learningRate (got 0.5)"],
    [["--temporal.input=[logmel,prosody]"], "[logmel,prosody] is not an input"],
  ];
  for (const [args, message] of cases) assertThrows(() => parseArgs(args), Error, message);
  // An input written as its parts is the input of that name (stored runs keep the names).
  assertEquals(
    parseArgs(["--temporal.input=[prosody,mfccDelta]"]).config.temporal.input,
    "mfccDeltaProsody",
  );
  // All problems at once, so one run tells the user everything to fix.
  const err = assertThrows(() => parseArgs(["--folds=1", "--noise=x"]), Error);
  assert(err.message.includes("split.folds") && err.message.includes("augment.noise"));
});

Deno.test("config: one parser takes a command's own flags beside the settings", () => {
  const flags = {
    json: { kind: "boolean" },
    port: { kind: "integer", check: (v) => ((v as number) < 65536 ? undefined : "too big") },
    only: { kind: "list" },
    run: { kind: "string" },
  } satisfies Record<string, FlagSpec>;
  const p = parseArgs(
    ["--json", "clip.wav", "--port", "8080", "--only=01,04", "--epochs=3"],
    DEFAULT_CONFIG,
    flags,
  );
  // A boolean flag takes no value: clip.wav stays positional.
  assertEquals(p.flags, { json: true, port: 8080, only: ["01", "04"] });
  assertEquals(p.positional, ["clip.wav"]);
  assertEquals(p.config.train.epochs, 3);
  assertThrows(() => parseArgs(["--port=99999"], DEFAULT_CONFIG, flags), Error, "--port: too big");
  assertThrows(
    () => parseArgs(["--port=x"], DEFAULT_CONFIG, flags),
    Error,
    "--port: expected an integer",
  );
  assertThrows(() => parseArgs(["--run="], DEFAULT_CONFIG, flags), Error, "--run: needs a value");
  // Without the command's flags, the same word is an unknown setting.
  assertThrows(() => parseArgs(["--port=8080"]), Error, "unknown setting --port");
});

Deno.test("config: the strict twin knows nothing of a test voice; with strictNorm=none it reads the spectral inputs only", () => {
  const { config } = parseArgs([
    "--input=logmelMfccDeltaProsody",
    "--memberInputs=[mfccDeltaProsody,logmel]",
    "--eval.strictNorm=none",
  ]);
  const twin = strictTwin(config);
  assertEquals(twin.eval.speakerNorm, "none");
  assertEquals(twin.temporal.input, "logmelMfccDelta");
  assertEquals(twin.temporal.memberInputs, ["mfccDelta", "logmel"]);
  assertEquals(twin.train, config.train, "everything else as the run it twins");
  assertEquals(
    config.temporal.input,
    "logmelMfccDeltaProsody",
    "the run's own config is untouched",
  );
  const plain = parseArgs(["--input=logmel", "--memberInputs=[]"]).config;
  assertEquals(strictTwin(plain).temporal, plain.temporal);
  // A per-clip twin keeps prosody, relative to each clip.
  const perClip = strictTwin({
    ...config,
    eval: { ...config.eval, strictNorm: "per-clip-prosody" },
  });
  assertEquals(perClip.eval.speakerNorm, "per-clip-prosody");
  assertEquals(perClip.temporal, config.temporal);
  // Without prosody in the input, or without frames, per-clip prosody has nothing to act on.
  const spectralRun = {
    ...plain,
    eval: { ...plain.eval, strictNorm: "per-clip-prosody" as const },
  };
  assertEquals(strictTwin(spectralRun).eval.speakerNorm, "none");
  const seedRun = { ...perClip, model: "seed" as const };
  assertEquals(strictTwin(seedRun).eval.speakerNorm, "none");
  assertThrows(
    () => parseArgs(["--eval.strictNorm=per-speaker"]),
    Error,
    "eval.strictNorm",
  );
});

Deno.test("config: a new input without new members keeps the members the input still holds", () => {
  const d = parseArgs([]).config.temporal;
  assertEquals([d.input, d.memberInputs], ["logmelMfccDeltaProsody", [
    "mfccDeltaProsody",
    "logmel",
  ]]);
  const spectral = parseArgs(["--input=logmelMfccDelta"]).config.temporal;
  assertEquals(spectral.memberInputs, ["mfccDelta", "logmel"], "prosody dropped with the input");
  assertEquals(parseArgs(["--input=logmel"]).config.temporal.memberInputs, [], "all see log-mel");
  const mine = parseArgs(["--input=logmelMfccDelta", "--memberInputs=[logmel]"]).config.temporal;
  assertEquals(mine.memberInputs, ["logmel"], "members given are kept as given");
});
