import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import { parseRavdessName } from "../lib/corpus/ravdess.ts";
import { EMOTIONS_7, labelSet } from "../lib/schema/corpus.ts";
import { actorKFold, applySplit, speakerSplit } from "../lib/experiment/splits.ts";
import { indexCorpus } from "../lib/corpus/index_fs.ts";
import { corpusCandidates, findCorpus } from "../lib/corpus/locate.ts";
import { DEFAULT_CONFIG, parseArgs } from "../lib/config/config.ts";
import { writeSyntheticCorpus } from "./helpers.ts";
import { CORPUS_DIR, requires } from "./fixtures.ts";

Deno.test("corpus: a RAVDESS name parses into its seven fields", () => {
  assertEquals(parseRavdessName("03-01-05-02-01-01-01.wav"), {
    modality: "audio-only",
    vocalChannel: "speech",
    emotion: "angry",
    intensity: "strong",
    statement: 1,
    repetition: 1,
    actor: 1,
    sex: "male",
  });
  assertEquals(parseRavdessName("03-01-02-01-02-02-24.wav").sex, "female");
});

Deno.test("corpus: bad names are errors that name the file and the field", () => {
  assertThrows(() => parseRavdessName("hello.wav"), Error, "hello.wav: not a RAVDESS file name");
  assertThrows(() => parseRavdessName("03-01-09-01-01-01-01.wav"), Error, "invalid emotion 09");
  assertThrows(
    () => parseRavdessName("03-01-01-02-01-01-01.wav"),
    Error,
    "neutral has only 01 normal",
  );
  assertThrows(() => parseRavdessName("03-01-05-01-01-01-25.wav"), Error, "invalid actor 25");
});

Deno.test("corpus: the 7-class label set merges calm into neutral", () => {
  const l8 = labelSet("8class");
  const l7 = labelSet("7class");
  assertEquals(l8.classes.length, 8);
  assertEquals(l7.classes, EMOTIONS_7);
  assertEquals(l7.indexOf("calm"), l7.indexOf("neutral"));
  assertEquals(l7.classes[l7.indexOf("surprised")], "surprised");
  assertEquals(l8.indexOf("calm"), 1);
});

Deno.test("corpus: a folder indexes into records sorted by actor, with a manifest hash", async () => {
  const dir = await Deno.makeTempDir();
  await writeSyntheticCorpus(dir, [2, 1], [1, 5]);
  await Deno.writeTextFile(join(dir, "README.md"), "not a clip");
  const idx = await indexCorpus(dir);
  assertEquals(idx.clips.map((c) => c.actor), [1, 1, 2, 2]);
  assertEquals(idx.clips[0].relPath, "Actor_01/03-01-01-01-01-01-01.wav");
  assertEquals(idx.manifestHash.length, 64);
  // The hash follows the content listing: one more clip, a new hash.
  await writeSyntheticCorpus(dir, [3], [1]);
  assert((await indexCorpus(dir)).manifestHash !== idx.manifestHash);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("corpus: a wav with a bad name, a misplaced clip or an empty folder is an error naming it", async () => {
  const dir = await Deno.makeTempDir();
  await assertRejects(() => indexCorpus(dir), Error, `${dir}: no RAVDESS speech clips`);
  await assertRejects(() => indexCorpus(join(dir, "nope")), Error, "does not exist");
  await writeSyntheticCorpus(dir, [1], [1]);
  await Deno.writeFile(join(dir, "Actor_01", "my-recording.wav"), new Uint8Array(10));
  await assertRejects(
    () => indexCorpus(dir),
    Error,
    `${join(dir, "Actor_01", "my-recording.wav")}: not a RAVDESS file name`,
  );
  await Deno.remove(join(dir, "Actor_01", "my-recording.wav"));
  await Deno.mkdir(join(dir, "Actor_02"));
  await Deno.copyFile(
    join(dir, "Actor_01", "03-01-01-01-01-01-01.wav"),
    join(dir, "Actor_02", "03-01-01-01-01-01-01.wav"),
  );
  await assertRejects(() => indexCorpus(dir), Error, "clip of actor 1 is in folder Actor_02");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("splits: explicit actor lists never share an actor between sides", async () => {
  const dir = await Deno.makeTempDir();
  await writeSyntheticCorpus(dir, [1, 2, 3, 4, 5], [1, 2]);
  const { clips } = await indexCorpus(dir);
  const split = speakerSplit(clips, [5], [4]);
  assertEquals(split.trainActors, [1, 2, 3]);
  const parts = applySplit(clips, split);
  assertEquals(parts.test.every((c) => c.actor === 5), true);
  assertEquals(parts.val.every((c) => c.actor === 4), true);
  assertEquals(parts.train.length + parts.val.length + parts.test.length, clips.length);
  assertThrows(() => speakerSplit(clips, [9]), Error, "actor 9 is not in the corpus");
  assertThrows(() => speakerSplit(clips, [1], [1]), Error, "both test and validation");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("splits: k-fold by actor on actors 1-8 gives {1,2} {3,4} {5,6} {7,8}", async () => {
  const dir = await Deno.makeTempDir();
  await writeSyntheticCorpus(dir, [1, 2, 3, 4, 5, 6, 7, 8], [1]);
  const { clips } = await indexCorpus(dir);
  const folds = actorKFold(clips, 4);
  assertEquals(folds.map((f) => f.testActors), [[1, 2], [3, 4], [5, 6], [7, 8]]);
  for (const f of folds) {
    assertEquals(f.trainActors.filter((a) => f.testActors.includes(a)), []);
    assertEquals(f.trainActors.length, 6);
  }
  assertEquals(actorKFold(clips, [[1, 8], [2, 7]]).map((f) => f.trainActors.length), [6, 6]);
  assertThrows(() => actorKFold(clips, [[1, 2], [2, 3]]), Error, "more than one fold");
  assertThrows(() => actorKFold(clips, 9), Error, "k must be between 2 and the 8 actors");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("locate: --data, then RAVDESS_DIR, then data/ravdess, then ../shared/ravdess", async () => {
  const env = (k: string) => (k === "RAVDESS_DIR" ? "/from/env" : undefined);
  const c = corpusCandidates({ ...DEFAULT_CONFIG.data, dir: "/from/flag" }, env);
  assertEquals(c.map((x) => x.source), [
    "--data",
    "RAVDESS_DIR",
    "data/ravdess",
    "../shared/ravdess",
  ]);
  assertEquals(c[0].dir, "/from/flag");
  // A folder the user names must exist: no silent fallback to another corpus.
  await assertRejects(
    () => findCorpus({ ...DEFAULT_CONFIG.data, dir: "/no/such/dir" }, () => undefined),
    Error,
    "/no/such/dir: corpus folder given by --data does not exist",
  );
  const tmp = await Deno.makeTempDir();
  assertEquals(
    (await findCorpus(
      { ...DEFAULT_CONFIG.data, dir: "" },
      (k) => (k === "RAVDESS_DIR" ? tmp : undefined),
    ))?.dir,
    tmp,
  );
  await Deno.remove(tmp);
});

Deno.test({
  name: "corpus: the development corpus indexes to 480 speech clips of actors 1-8",
  ignore: requires("corpus"),
  fn: async () => {
    const idx = await indexCorpus(CORPUS_DIR);
    assertEquals(idx.clips.length, 480);
    assertEquals([...new Set(idx.clips.map((c) => c.actor))], [1, 2, 3, 4, 5, 6, 7, 8]);
    assertEquals(idx.clips.filter((c) => c.emotion === "neutral").length, 32);
  },
});

Deno.test("corpus: actor folders and clips behind symbolic links are indexed (a loop back is walked once)", async () => {
  const disk = await Deno.makeTempDir();
  await writeSyntheticCorpus(disk, [1, 2], [1, 5]);
  const dir = await Deno.makeTempDir();
  await Deno.symlink(join(disk, "Actor_01"), join(dir, "Actor_01"));
  await Deno.mkdir(join(dir, "Actor_02"));
  for (const e of Deno.readDirSync(join(disk, "Actor_02"))) {
    await Deno.symlink(join(disk, "Actor_02", e.name), join(dir, "Actor_02", e.name));
  }
  await Deno.symlink(dir, join(dir, "Actor_02", "loop"));
  const idx = await indexCorpus(dir);
  assertEquals(idx.clips.map((c) => c.relPath), [
    "Actor_01/03-01-01-01-01-01-01.wav",
    "Actor_01/03-01-05-01-01-01-01.wav",
    "Actor_02/03-01-01-01-01-01-02.wav",
    "Actor_02/03-01-05-01-01-01-02.wav",
  ]);
  await Deno.symlink(join(disk, "gone"), join(dir, "Actor_03"));
  await assertRejects(
    () => indexCorpus(dir),
    Error,
    `${join(dir, "Actor_03")}: broken symbolic link`,
  );
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(disk, { recursive: true });
});

Deno.test("corpus: --data with an empty value (an unset variable) is an error, not a search or a download", () => {
  for (const args of [["--data="], ["--data"], ["--data", "--epochs=2"], ["--data.dir="]]) {
    assertThrows(() => parseArgs(args), Error, "--data.dir: needs a value, got an empty one");
  }
  assertThrows(
    () => corpusCandidates(DEFAULT_CONFIG.data, (k) => (k === "RAVDESS_DIR" ? "" : undefined)),
    Error,
    "RAVDESS_DIR is set but empty",
  );
});
