/**
 * Corpora beyond RAVDESS as a user meets them: a corpus's own windows, long clips scored over
 * several windows, training on two corpora at once, and the cross-corpus protocol. The corpora
 * here are synthetic folders named and laid out as the real ones are.
 */
import { join } from "node:path";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import { encodeWav } from "../lib/audio/wav.ts";
import { windowStarts } from "../lib/audio/load.ts";
import { parseArgs } from "../lib/config/config.ts";
import { sharedLabelSet, speakerLabel, speakerOffset } from "../lib/corpus/corpora.ts";
import { labelSet } from "../lib/schema/corpus.ts";
import { createClipFeaturizer } from "../lib/features/clip.ts";
import { perClipMean } from "../lib/experiment/fold.ts";
import { openConfiguredCorpus } from "../lib/corpus/locate.ts";
import { featurizeCorpus } from "../lib/pipeline/featurize.ts";
import { runExperiment } from "../lib/experiment/run.ts";
import { loadPredictor, readRunRecord } from "../lib/run/store.ts";
import { predictClip, predictWindows } from "../lib/model/predictor.ts";
import { tone } from "./helpers.ts";

const quiet = { isTerminal: false, write: () => {} };

Deno.test("windows: every sample of a long clip is heard, the last window ends at the clip's end", () => {
  assertEquals(windowStarts(100, 250, 125), [0], "shorter than a window: one");
  assertEquals(windowStarts(250, 250, 125), [0]);
  assertEquals(windowStarts(300, 250, 125), [0, 50]);
  assertEquals(windowStarts(600, 250, 125), [0, 125, 250, 350]);
  assertEquals(windowStarts(600, 250, 0), [0], "hop 0: the classic single window");
});

Deno.test("windows: a corpus brings its own windows unless the command line names them", () => {
  const ravdess = parseArgs([]).config.audio;
  assertEquals([ravdess.offsetS, ravdess.trimDb, ravdess.windowHopS], [0.6, 0, 0]);
  const emovo = parseArgs(["--data.corpus=emovo"]).config.audio;
  assertEquals([emovo.offsetS, emovo.trimDb, emovo.windowHopS], [0, 40, 1.25]);
  const mine = parseArgs(["--data.corpus=emovo", "--offsetS=0.2", "--windowHopS=0"]).config.audio;
  assertEquals([mine.offsetS, mine.trimDb, mine.windowHopS], [0.2, 40, 0]);
});

Deno.test("windows: a 6 s clip at 48 kHz stereo is featurized as four 2.5 s windows after trimming", () => {
  const { config } = parseArgs(["--data.corpus=emovo"]);
  const rate = 48000;
  const speech = tone(6 * rate, 220, rate);
  const padded = new Float32Array(7 * rate);
  padded.set(speech, rate / 2); // half a second of silence either side
  const f = createClipFeaturizer(config.audio, config.features);
  const clip = f.featurize(encodeWav([padded, padded], rate), "dis-f1-b1.wav");
  assertAlmostEquals(clip.samples.length / config.audio.sampleRateHz, 6, 0.1, "silence trimmed");
  assertEquals(clip.windows.length, 3, "windows at 0, 1.25, 2.5 and 3.5 s: the first plus three");
  const one = createClipFeaturizer({ ...config.audio, windowHopS: 0 }, config.features)
    .featurize(encodeWav([padded, padded], rate), "dis-f1-b1.wav");
  assertEquals(one.windows.length, 0);
  // The same first window (resampled as part of the whole clip rather than alone, so its last
  // frames may differ in the last digits).
  const frames = 40 * config.features.sequenceMels;
  const a = one.sequence.logmel.subarray(0, frames);
  const b = clip.sequence.logmel.subarray(0, frames);
  assert(a.every((v, i) => Math.abs(v - b[i]) < 1e-3), "the first window is the same");
});

Deno.test("windows: a clip's probabilities are the mean over its windows", () => {
  // Two test clips (5 and 9); clip 9 has two later windows.
  const planTest = [{ clip: 5, derived: -1 }, { clip: 9, derived: -1 }];
  const rows = [...planTest, { clip: 9, derived: -1, window: 0 }, {
    clip: 9,
    derived: -1,
    window: 1,
  }];
  const p = Float32Array.from([0.9, 0.1, 0.8, 0.2, 0.2, 0.8, 0.2, 0.8]);
  const out = perClipMean(p, rows, planTest, 2);
  assertEquals(Array.from(out).map((v) => Math.round(v * 100)), [90, 10, 40, 60]);
});

Deno.test("cross-corpus labels: the classes both corpora have, in the training corpus's order", () => {
  const eight = sharedLabelSet(labelSet("8class"), "emodb");
  assertEquals([...eight.classes], ["neutral", "happy", "sad", "angry", "fearful", "disgust"]);
  assertEquals(eight.indexOf("calm"), -1, "RAVDESS's calm has no EmoDB counterpart");
  assertEquals(eight.indexOf("boredom"), -1);
  const seven = sharedLabelSet(labelSet("7class"), "emodb");
  assertEquals(seven.indexOf("calm"), seven.indexOf("neutral"), "7-class: calm counts as neutral");
  assertEquals(speakerLabel(speakerOffset("emodb") + 3), "emodb 03");
  assertEquals(speakerLabel(7), "7");
});

Deno.test("cross-corpus settings: a missing or same test corpus, or trainAlso with leaky splits, is refused", () => {
  assertThrows(() => parseArgs(["--protocol=cross-corpus"]), Error, "needs --data.testCorpus");
  assertThrows(
    () => parseArgs(["--protocol=cross-corpus", "--testCorpus=ravdess"]),
    Error,
    "is the training corpus too",
  );
  assertThrows(() => parseArgs(["--testCorpus=emodb"]), Error, "cross-corpus only");
  assertThrows(
    () => parseArgs(["--trainAlso=[emodb]", "--protocol=seed-leaky"]),
    Error,
    "speaker-independent protocol",
  );
  assertThrows(() => parseArgs(["--trainAlso=[tess,tess]"]), Error, "twice");
  assertThrows(() => parseArgs(["--trainAlso=[ravdess]"]), Error, "already the run's corpus");
});

/** A folder of `corpus` clips: `names` as the corpus names them, 1-6 s, stereo 48 kHz some. */
async function writeCorpus(names: string[]): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const [i, name] of names.entries()) {
    await Deno.mkdir(join(dir, name, ".."), { recursive: true });
    const rate = i % 2 ? 48000 : 16000;
    const seconds = 1 + (i % 6);
    const x = new Float32Array(Math.round((seconds + 0.4) * rate));
    // Each emotion its own pitch, so a network can tell them apart within a few epochs.
    const pitch = 150 + 40 * (i % 7);
    x.set(tone(seconds * rate, pitch, rate, 0.3 + 0.05 * (i % 3)), Math.round(0.2 * rate));
    // Every file its own recording (the index refuses one recording under two speakers).
    x[x.length - 1] = (i + 1) / 32768;
    await Deno.writeFile(join(dir, name), encodeWav(i % 3 ? [x, x] : x, rate));
  }
  return dir;
}

const EMOVO_CODES = ["dis", "gio", "neu", "pau", "rab", "sor", "tri"];
const emovoNames = () =>
  ["f1", "f2", "f3", "m1", "m2", "m3"].flatMap((s) =>
    EMOVO_CODES.flatMap((e) => ["b1", "l1"].map((t) => `${s}/${e}-${s}-${t}.wav`))
  );
const SAVEE_CODES = ["a", "d", "f", "h", "n", "sa", "su"];
const saveeNames = () =>
  ["DC", "JE", "JK", "KL"].flatMap((s) => SAVEE_CODES.map((e) => `AudioData/${s}/${e}01.wav`));

const TINY = [
  "--epochs=1",
  "--ensemble=1",
  "--temporal.input=logmel",
  "--memberInputs=[]",
  "--temporal.filters=[8]",
  "--denseUnits=8",
  '--recipe=["original","noise"]',
];

Deno.test({
  name:
    "a corpus never seen runs end to end from its folder: EMOVO, long stereo clips scored over all their windows",
  sanitizeResources: false,
  fn: async () => {
    const data = await writeCorpus(emovoNames());
    const tmp = await Deno.makeTempDir();
    const { config } = parseArgs([
      "--data.corpus=emovo",
      `--data=${data}`,
      "--folds=3",
      ...TINY,
      `--resultsDir=${join(tmp, "results")}`,
      `--cacheDir=${join(tmp, "cache")}`,
    ]);
    const corpus = await openConfiguredCorpus(config.data, quiet);
    const features = await featurizeCorpus(config, corpus, quiet, join(tmp, "cache"));
    assert(features.windows && features.windows.clip.length > 0, "long clips have later windows");
    const out = await runExperiment(config, features, corpus, quiet, join(tmp, "results"));
    const record = await readRunRecord(out.runDir);
    assertEquals(record.config.audio.windowHopS, 1.25, "the corpus's windows, recorded");
    assertEquals(record.labels.length, 7);
    assertEquals(record.folds.map((f) => f.testActors), [[1, 2], [3, 4], [5, 6]]);
    const csv = (await Deno.readTextFile(join(out.runDir, "predictions.csv"))).trim().split("\n");
    assertEquals(csv.length, 1 + 84, "one prediction per clip, however many windows it has");
    // predict reads a long file as the evaluation does: the mean over its windows.
    const { predictor } = await loadPredictor(out.runDir);
    const long = corpus.clips.find((c) => c.id === "neu-m3-l1")!;
    const featurizer = createClipFeaturizer(config.audio, config.features);
    const clip = featurizer.featurize(await Deno.readFile(join(data, long.relPath)), long.id);
    assert(clip.windows.length >= 2, `${clip.windows.length} later windows`);
    const each = [clip, ...clip.windows].map((w) => predictClip(predictor, w));
    const mean = predictWindows(predictor, clip);
    mean.forEach((p, c) => {
      const want = each.reduce((a, w) => a + w[c], 0) / each.length;
      assertAlmostEquals(p, want, 1e-6);
    });
    predictor.members.forEach((m) => m.model.dispose());
    // The cache is read back with its windows.
    const again = await featurizeCorpus(config, corpus, quiet, join(tmp, "cache"));
    assert(again.fromCache);
    assertEquals(Array.from(again.windows!.clip), Array.from(features.windows!.clip));
    await Deno.remove(tmp, { recursive: true });
    await Deno.remove(data, { recursive: true });
  },
});

Deno.test({
  name: "two corpora: SAVEE trains beside EMOVO's training speakers; EMOVO -> SAVEE cross-corpus",
  sanitizeResources: false,
  fn: async () => {
    const emovo = await writeCorpus(emovoNames());
    const savee = await writeCorpus(saveeNames());
    const tmp = await Deno.makeTempDir();
    Deno.env.set("SAVEE_DIR", savee);
    try {
      const common = [
        "--data.corpus=emovo",
        `--data=${emovo}`,
        ...TINY,
        `--resultsDir=${join(tmp, "results")}`,
        `--cacheDir=${join(tmp, "cache")}`,
      ];
      const corpus = await openConfiguredCorpus(parseArgs(common).config.data, quiet);
      const run = async (args: string[]) => {
        const { config } = parseArgs([...common, ...args]);
        const features = await featurizeCorpus(config, corpus, quiet, join(tmp, "cache"));
        const out = await runExperiment(config, features, corpus, quiet, join(tmp, "results"));
        const csv = (await Deno.readTextFile(join(out.runDir, "predictions.csv"))).trim();
        return { record: await readRunRecord(out.runDir), csv: csv.split("\n"), out };
      };

      const also = await run(["--folds=3", "--trainAlso=[savee]"]);
      const saveeSpeakers = [1, 2, 3, 4].map((s) => speakerOffset("savee") + s);
      for (const f of also.record.folds) {
        assert(saveeSpeakers.every((s) => f.trainActors.includes(s)), `${f.name}: SAVEE trains`);
        assert(f.testActors.every((a) => a < 10), `${f.name}: only EMOVO speakers test`);
        // 4 EMOVO speakers x 14 clips x 2 recipe rows + 28 SAVEE clips x 2.
        assertEquals(f.trainRows, 2 * 56 + 2 * 28);
      }
      assertEquals(also.csv.length, 1 + 84, "EMOVO's clips are scored, SAVEE's are not");
      assertEquals(also.record.otherCorpora?.map((o) => [o.name, o.role]), [["savee", "train"]]);

      const cross = await run(["--protocol=cross-corpus", "--testCorpus=savee"]);
      assertEquals(cross.record.labels.length, 7, "EMOVO and SAVEE share all seven");
      assertEquals(cross.record.folds.length, 1);
      assertEquals(cross.record.folds[0].name, "emovo-to-savee");
      assertEquals(cross.record.folds[0].testActors, saveeSpeakers);
      assertEquals(cross.csv.length, 1 + 28, "every SAVEE clip tested");
      assert(cross.csv[0].startsWith("clip,corpus,actor"), cross.csv[0]);
      assert(cross.csv.slice(1).every((l) => l.split(",")[1] === "savee"));
      assert(cross.out.summary.protocolText.includes("tested on every clip of savee"));
      assert(cross.out.table.includes("emovo-to-savee  all 4 of savee"), cross.out.table);
    } finally {
      Deno.env.delete("SAVEE_DIR");
      for (const d of [tmp, emovo, savee]) await Deno.remove(d, { recursive: true });
    }
  },
});
