/**
 * The six corpora: real-looking names of each parse to speaker and emotion, names that fit no
 * rule are errors that say what was expected, a folder laid out as each corpus ships indexes from
 * its layout alone, and the development copy of EmoDB indexes as its README counts it.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import { CORPORA, labelSetOf } from "../lib/corpus/corpora.ts";
import type { CorpusName } from "../lib/schema/corpus.ts";
import { indexCorpus } from "../lib/corpus/index_fs.ts";
import { encodeWav } from "../lib/audio/wav.ts";
import { parseArgs } from "../lib/config/config.ts";
import { tone } from "./helpers.ts";
import { EMODB_DIR, HAVE_EMODB } from "./fixtures.ts";
import { openConfiguredCorpus } from "../lib/corpus/locate.ts";
import { featurizeCorpus } from "../lib/pipeline/featurize.ts";
import { runExperiment } from "../lib/experiment/run.ts";
import { readRunRecord } from "../lib/run/store.ts";

Deno.test("corpora: each corpus's file names give speaker, emotion and sex", () => {
  const cases: [CorpusName, string, number, string, string | undefined][] = [
    ["ravdess", "Actor_07/03-01-05-02-01-01-07.wav", 7, "angry", "male"],
    ["emodb", "wav/03a01Fa.wav", 3, "happy", "male"],
    ["emodb", "16b10Lb.wav", 16, "boredom", "female"],
    ["cremad", "AudioWAV/1001_DFA_ANG_XX.wav", 1001, "angry", undefined],
    ["cremad", "1091_TSI_NEU_LO.wav", 1091, "neutral", undefined],
    ["tess", "OAF_angry/OAF_back_angry.wav", 1, "angry", "female"],
    ["tess", "YAF_pleasant_surprised/YAF_dog_ps.wav", 2, "surprised", "female"],
    ["tess", "OAF_Neutral/OAF_youth_neutral.wav", 1, "neutral", "female"],
    ["savee", "AudioData/JK/sa05.wav", 3, "sad", "male"],
    ["savee", "KL_su15.wav", 4, "surprised", "male"],
    ["emovo", "f1/dis-f1-b1.wav", 1, "disgust", "female"],
    ["emovo", "m3/pau-m3-n5.wav", 6, "fearful", "male"],
    ["emovo", "gio-m1-l4.wav", 4, "happy", "male"],
  ];
  for (const [corpus, path, speaker, emotion, sex] of cases) {
    const clip = CORPORA[corpus].parse(path);
    assertEquals([clip.speaker, clip.emotion, clip.sex], [speaker, emotion, sex], path);
    assert(CORPORA[corpus].emotions.includes(clip.emotion), `${path}: in ${corpus}'s label set`);
  }
  // RAVDESS's song and video files belong to the corpus but are not used: said, not hidden.
  assert(CORPORA.ravdess.parse("03-02-05-02-01-01-07.wav").ignored?.includes("song"));
});

Deno.test("corpora: a name that fits no rule is an error saying what the corpus's names look like", () => {
  const cases: [CorpusName, string, string][] = [
    [
      "emodb",
      "03a01Xa.wav",
      "not an EmoDB file name (speaker, text, emotion, version: 03a01Fa.wav)",
    ],
    ["emodb", "04a01Fa.wav", "EmoDB has no speaker 04"],
    ["cremad", "1001_DFA_ANG.wav", "not a CREMA-D file name"],
    ["cremad", "0999_DFA_ANG_XX.wav", "CREMA-D actors are 1001-1091"],
    ["cremad", "1001_DFA_JOY_XX.wav", "unknown CREMA-D emotion JOY"],
    ["cremad", "1001_ABC_ANG_XX.wav", "unknown CREMA-D sentence ABC"],
    ["tess", "OAF_back_bored.wav", "unknown TESS emotion bored"],
    ["tess", "YAF_angry/OAF_back_angry.wav", "a OAF clip in folder YAF_angry"],
    ["tess", "MAF_back_angry.wav", "not a TESS file name"],
    ["savee", "a01.wav", "not a SAVEE file name"],
    ["savee", "XY_a01.wav", "not a SAVEE file name"],
    ["emovo", "joy-f1-b1.wav", "unknown EMOVO emotion joy"],
    ["emovo", "m1/dis-f1-b1.wav", "a f1 clip in folder m1"],
  ];
  for (const [corpus, path, message] of cases) {
    assertThrows(() => CORPORA[corpus].parse(path), Error, message);
  }
  assertThrows(() => parseArgs(["--data.corpus=iemocap"]), Error, "data.corpus must be one of");
  assertThrows(
    () => parseArgs(["--data.corpus=emodb", "--labels=7class"]),
    Error,
    "eval.labels=7class is RAVDESS's",
  );
});

/** A few files named and laid out as each corpus ships them. */
const LAYOUTS: Record<Exclude<CorpusName, "ravdess" | "manifest" | "audiofolder">, string[]> = {
  emodb: ["wav/03a01Fa.wav", "wav/03a01Wa.wav", "wav/08b02Lb.wav", "wav/08b02Ta.wav"],
  cremad: ["AudioWAV/1001_DFA_ANG_XX.wav", "AudioWAV/1002_IEO_HAP_HI.wav"],
  tess: ["OAF_angry/OAF_back_angry.wav", "YAF_pleasant_surprised/YAF_dog_ps.wav"],
  savee: ["AudioData/DC/a01.wav", "AudioData/JE/a01.wav", "AudioData/KL/su15.wav"],
  emovo: ["f1/dis-f1-b1.wav", "m2/rab-m2-l3.wav"],
};

Deno.test("corpora: a folder of each corpus indexes from its layout alone (any rate, channels, length)", async () => {
  for (const [corpus, files] of Object.entries(LAYOUTS) as [CorpusName, string[]][]) {
    const dir = await Deno.makeTempDir();
    for (const [i, f] of files.entries()) {
      await Deno.mkdir(join(dir, f, ".."), { recursive: true });
      const rate = [16000, 44100, 48000][i % 3];
      const x = tone(rate * (1 + i), 200 + 50 * i, rate);
      await Deno.writeFile(join(dir, f), encodeWav(i % 2 ? [x, x] : x, rate));
    }
    await Deno.writeTextFile(join(dir, "README.txt"), "not audio");
    const idx = await indexCorpus(dir, corpus);
    assertEquals(idx.corpus, corpus);
    assertEquals(idx.clips.length, files.length, corpus);
    assert(
      idx.clips.every((c) =>
        c.corpus === corpus && (CORPORA[corpus].emotions as readonly string[]).includes(c.emotion)
      ),
    );
    assertEquals(new Set(idx.clips.map((c) => c.id)).size, files.length, `${corpus}: unique ids`);
    // A file of another corpus in the folder is an error naming it, not a silent skip.
    await Deno.writeFile(
      join(dir, "03-01-05-02-01-01-07.wav"),
      encodeWav(tone(800, 300, 8000), 8000),
    );
    await assertRejects(() => indexCorpus(dir, corpus), Error, "03-01-05-02-01-01-07.wav: not a");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("corpora: labels are the corpus's own emotions; RAVDESS keeps 8 or 7 classes", () => {
  assertEquals(labelSetOf("ravdess", "8class").classes.length, 8);
  assertEquals(labelSetOf("ravdess", "7class").indexOf("calm"), 0, "calm merged into neutral");
  const emodb = labelSetOf("emodb", "8class");
  assertEquals([...emodb.classes], [
    "neutral",
    "happy",
    "sad",
    "angry",
    "fearful",
    "disgust",
    "boredom",
  ]);
  assertEquals(emodb.indexOf("boredom"), 6);
  assertEquals(emodb.indexOf("calm"), -1);
});

Deno.test({
  name: "corpora: the development copy of EmoDB indexes as its README counts it",
  ignore: !HAVE_EMODB,
  fn: async () => {
    const idx = await indexCorpus(EMODB_DIR, "emodb");
    assertEquals(idx.clips.length, 535);
    assertEquals(new Set(idx.clips.map((c) => c.actor)).size, 10);
    const count = (e: string) => idx.clips.filter((c) => c.emotion === e).length;
    assertEquals(
      ["angry", "boredom", "neutral", "happy", "fearful", "sad", "disgust"].map(count),
      [127, 81, 79, 71, 69, 62, 46],
    );
    await assertRejects(() => indexCorpus(EMODB_DIR, "ravdess"), Error, "not a RAVDESS file name");
  },
});

Deno.test({
  name: "corpora: EmoDB runs end to end: speaker folds over its 10 speakers, its own 7 emotions",
  ignore: !HAVE_EMODB,
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    const { config } = parseArgs([
      "--data.corpus=emodb",
      `--data=${EMODB_DIR}`,
      "--folds=5",
      "--epochs=2",
      "--ensemble=1",
      "--temporal.input=logmel",
      "--memberInputs=[]",
      "--temporal.filters=[8,8]",
      "--denseUnits=8",
      '--recipe=["original"]',
      `--resultsDir=${join(tmp, "results")}`,
      `--cacheDir=${join(tmp, "cache")}`,
    ]);
    const quiet = { isTerminal: false, write: () => {} };
    const corpus = await openConfiguredCorpus(config.data, quiet);
    const features = await featurizeCorpus(config, corpus, quiet, join(tmp, "cache"));
    const out = await runExperiment(config, features, corpus, quiet, join(tmp, "results"));
    const record = await readRunRecord(out.runDir);
    assertEquals(record.labels, [
      "neutral",
      "happy",
      "sad",
      "angry",
      "fearful",
      "disgust",
      "boredom",
    ]);
    assertEquals(record.corpus.name, "emodb");
    assertEquals(record.folds.length, 5);
    const speakers = record.folds.flatMap((f) => f.testActors).sort((a, b) => a - b);
    assertEquals(speakers, [3, 8, 9, 10, 11, 12, 13, 14, 15, 16], "every speaker tested once");
    for (const f of record.folds) {
      assert(
        f.testActors.every((a) => !f.trainActors.includes(a)),
        `${f.name}: no speaker on both sides`,
      );
    }
    assertEquals(out.summary.merged7, undefined, "no RAVDESS 7-class figures");
    const csv = await Deno.readTextFile(join(out.runDir, "predictions.csv"));
    assertEquals(csv.split("\n").filter(Boolean).length, 1 + 535);
    assert(csv.split("\n")[0].endsWith("p_disgust,p_boredom"), csv.split("\n")[0]);
    await Deno.remove(tmp, { recursive: true });
  },
});
