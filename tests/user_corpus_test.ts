/**
 * A corpus of your own: a CSV manifest built from EmoDB's clips under new names (so no built-in
 * rule can recognise them) runs the whole experiment and predict; every bad row is an error
 * naming its CSV line; Hugging Face's audiofolder layouts index too.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { indexAudioFolder, indexManifest } from "../lib/corpus/user_corpus_fs.ts";
import { encodeWav } from "../lib/audio/wav.ts";
import { PROJECT_ROOT } from "../lib/util/project.ts";
import { EMODB_DIR, HAVE_EMODB } from "./fixtures.ts";
import { voice } from "./synthetic_run.ts";

const EMODB_NAMES: Record<string, string> = {
  W: "anger",
  L: "boredom",
  E: "disgust",
  A: "fear",
  F: "happiness",
  T: "sadness",
  N: "neutral",
};

async function writeClips(dir: string, names: string[]): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (const [i, n] of names.entries()) {
    await Deno.writeFile(join(dir, n), encodeWav(voice(1.5, 16000, 0.3, 120 + 10 * i), 16000));
  }
}

Deno.test("manifest: every bad row is an error naming its CSV line", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await writeClips(join(tmp, "a"), ["x1.wav", "x2.wav", "x3.wav"]);
    const write = (text: string) => Deno.writeTextFile(join(tmp, "m.csv"), text);
    const index = () => indexManifest(join(tmp, "m.csv"), null);
    await write("file,speaker,emotion\na/x1.wav,s1,anger\na/x2.wav,s2,Frustrated\n");
    const ok = await index();
    assertEquals(ok.labels, ["angry", "Frustrated"], "common names mapped, others kept");
    assertEquals(ok.clips.map((c) => c.actor), [1, 2]);
    await write("file,speaker,emotion\na/x1.wav,s1,anger\na/missing.wav,s2,sad\n");
    await assertRejects(index, Error, "m.csv, line 3: a/missing.wav cannot be read");
    await write("file,speaker,emotion\na/x1.wav,s1,\n");
    await assertRejects(index, Error, "m.csv, line 2: a/x1.wav has an empty label");
    await write("file,speaker,emotion,mood\na/x1.wav,s1,sad,blue\n");
    await assertRejects(index, Error, "m.csv, line 1: unknown column mood");
    await write("path,speaker,emotion\na/x1.wav,s1,sad\n");
    await assertRejects(index, Error, "m.csv, line 1: unknown column path");
    await write("file,speaker,emotion,split\na/x1.wav,s1,sad,train\na/x2.wav,s1,happy,test\n");
    await assertRejects(index, Error, "m.csv, line 3: speaker s1 is in train and test");
    await write('file,speaker,emotion,split\n"a/x1.wav",s1,sad,train\na/x2.wav,s2,happy,test\n');
    assertEquals((await index()).splitOf, { 1: "train", 2: "test" });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("audiofolder: metadata.csv, or label folders with a speaker pattern", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await writeClips(join(tmp, "meta"), ["c1.wav", "c2.wav", "c3.wav"]);
    await Deno.writeTextFile(
      join(tmp, "meta", "metadata.csv"),
      'file_name,label,speaker_id,transcription\nc1.wav,happy,7,hi\nc2.wav,sad,8,"yes, no"\nc3.wav,calm,8,ok\n',
    );
    const meta = await indexAudioFolder(join(tmp, "meta"), "", null);
    assertEquals(meta.labels, ["calm", "happy", "sad"]);
    assertEquals(meta.speakerNames, { 1: "7", 2: "8" });
    await writeClips(join(tmp, "folders", "angry"), ["ann_1.wav", "bob_1.wav"]);
    await writeClips(join(tmp, "folders", "neutral"), ["ann_2.wav", "bob_2.wav"]);
    await assertRejects(
      () => indexAudioFolder(join(tmp, "folders"), "", null),
      Error,
      "add a speaker column to metadata.csv, or pass --data.speakerPattern",
    );
    const folders = await indexAudioFolder(join(tmp, "folders"), "^([a-z]+)_", null);
    assertEquals(folders.labels, ["neutral", "angry"]);
    assertEquals(folders.clips.map((c) => [c.actor, c.emotion]), [
      [1, "angry"],
      [1, "neutral"],
      [2, "angry"],
      [2, "neutral"],
    ]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test({
  name: "a manifest of EmoDB's clips under new names runs reproduce and predict end to end",
  ignore: !HAVE_EMODB,
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    try {
      // Four speakers, every clip copied under a name no corpus rule knows.
      const speakers = ["03", "08", "09", "10"];
      const lines = ["file,speaker,emotion"];
      const files = [...Deno.readDirSync(EMODB_DIR)].map((e) => e.name)
        .filter((n) => speakers.includes(n.slice(0, 2)) && n.endsWith(".wav")).sort();
      await Deno.mkdir(join(tmp, "my data", "audio"), { recursive: true });
      for (const [i, name] of files.entries()) {
        const renamed = `rec_${String(i).padStart(4, "0")}.wav`;
        await Deno.copyFile(join(EMODB_DIR, name), join(tmp, "my data", "audio", renamed));
        lines.push(`audio/${renamed},person ${name.slice(0, 2)},${EMODB_NAMES[name[5]]}`);
      }
      await Deno.writeTextFile(join(tmp, "my data", "meta.csv"), lines.join("\n") + "\n");
      const run = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          join(PROJECT_ROOT, "lib/cli/reproduce.ts"),
          "--data.corpus=manifest",
          `--data=${join(tmp, "my data", "meta.csv")}`,
          "--split.folds=2",
          "--epochs=4",
          "--temporal.filters=[16,16]",
          "--denseUnits=16",
          "--recipe=[original]",
          "--eval.strictToo=false",
          `--resultsDir=${join(tmp, "results")}`,
          `--cacheDir=${join(tmp, "cache")}`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(run.stderr);
      assertEquals(run.code, 0, err.slice(-2000));
      const out = new TextDecoder().decode(run.stdout);
      assert(/default +accuracy/.test(out), out);
      const runDir = out.match(/run folder: (\S+)/)![1];
      const record = JSON.parse(await Deno.readTextFile(join(runDir, "config.json")));
      assertEquals(record.labels, [
        "neutral",
        "happy",
        "sad",
        "angry",
        "fearful",
        "disgust",
        "boredom",
      ]);
      assertEquals(record.config.data.corpus, "manifest");
      const metrics = JSON.parse(await Deno.readTextFile(join(runDir, "metrics.json")));
      assert(metrics.primary.accuracy.mean > 1 / 7, `accuracy ${metrics.primary.accuracy.mean}`);
      // predict classifies a clip with the run's own labels.
      const predicted = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          join(PROJECT_ROOT, "lib/cli/predict.ts"),
          join(tmp, "my data", "audio", "rec_0000.wav"),
          `--run=${runDir}`,
          "--json",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(predicted.code, 0, new TextDecoder().decode(predicted.stderr));
      const answer = JSON.parse(new TextDecoder().decode(predicted.stdout));
      assertEquals(answer.labels, record.labels);
      assert(answer.results[0].speech && record.labels.includes(answer.results[0].predicted));
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
