/** The featurize stage end to end on a tiny synthetic corpus: cache files, cache hits, keys. */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { featurizeCorpus } from "../lib/pipeline/featurize.ts";
import { indexCorpus } from "../lib/corpus/index_fs.ts";
import { parseArgs } from "../lib/config/config.ts";
import { createTempDir, exists, readNpyFile, tempNameFor } from "../lib/cache/files.ts";
import { createRunWriter } from "../lib/run/store.ts";
import { tone, writeSyntheticCorpus } from "./helpers.ts";
import { encodeWav } from "../lib/audio/wav.ts";

const quiet = { isTerminal: false, write: () => {} };

Deno.test("featurize: writes .npy caches keyed by config and corpus, reused on the next run", async () => {
  const tmp = await Deno.makeTempDir();
  const corpusDir = join(tmp, "corpus");
  await writeSyntheticCorpus(corpusDir, [1, 2], [1, 3, 5]);
  const corpus = await indexCorpus(corpusDir);
  const cache = join(tmp, "cache");
  const { config } = parseArgs(["--workers=2"]);
  const first = await featurizeCorpus(config, corpus, quiet, cache);
  assertEquals(first.fromCache, false);
  const vectors = await readNpyFile(join(first.dir, "vectors.npy"));
  assertEquals(vectors.shape, [6, 162]);
  assertEquals((await readNpyFile(join(first.dir, "seq_logmel.npy"))).shape, [6, 108, 40]);
  assertEquals((await readNpyFile(join(first.dir, "seq_mfcc_delta.npy"))).shape, [6, 108, 60]);
  assertEquals(Array.from((await readNpyFile(join(first.dir, "emotion.npy"))).data), [
    0,
    2,
    4,
    0,
    2,
    4,
  ]);
  assertEquals(Array.from((await readNpyFile(join(first.dir, "actor.npy"))).data), [
    1,
    1,
    1,
    2,
    2,
    2,
  ]);
  // Different tones give different vectors (rows are not copies of one another).
  assert(vectors.data[1 * 162 + 40] !== vectors.data[2 * 162 + 40]);

  const again = await featurizeCorpus(config, corpus, quiet, cache);
  assertEquals(again.fromCache, true);
  assertEquals(again.dir, first.dir);
  assertEquals(Array.from(again.rows.vectors), Array.from(first.rows.vectors));

  const other = await featurizeCorpus(parseArgs(["--nMels=64"]).config, corpus, quiet, cache);
  assert(other.dir !== first.dir, "a changed feature config gets its own cache");
  assertEquals(other.rows.dims.vector, 1 + 12 + 20 + 1 + 64);
  // No temporary folders are left behind.
  assertEquals([...Deno.readDirSync(cache)].filter((e) => e.name.includes(".tmp-")), []);
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("featurize: a broken clip stops the stage with its path and leaves no cache", async () => {
  const tmp = await Deno.makeTempDir();
  const corpusDir = join(tmp, "corpus");
  await writeSyntheticCorpus(corpusDir, [1], [1, 2]);
  const broken = join(corpusDir, "Actor_01", "03-01-02-01-01-01-01.wav");
  const bytes = await Deno.readFile(broken);
  await Deno.writeFile(broken, bytes.subarray(0, 1000));
  const corpus = await indexCorpus(corpusDir);
  const cache = join(tmp, "cache");
  await assertRejects(
    () => featurizeCorpus(parseArgs([]).config, corpus, quiet, cache),
    Error,
    `${broken}: not a valid WAV file: truncated`,
  );
  const left = await Array.fromAsync(Deno.readDir(cache)).catch(() => []);
  assertEquals(left, []);
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("featurize: a clip rewritten in place with the same size is featurized again (no stale cache hit)", async () => {
  const tmp = await Deno.makeTempDir();
  const corpusDir = join(tmp, "corpus");
  await writeSyntheticCorpus(corpusDir, [1], [1, 2]);
  const cache = join(tmp, "cache");
  const { config } = parseArgs(["--workers=1"]);
  const first = await featurizeCorpus(config, await indexCorpus(corpusDir), quiet, cache);
  const clip = join(corpusDir, "Actor_01", "03-01-01-01-01-01-01.wav");
  const louder = encodeWav(tone(48000 * 3.5, 523, 48000, 0.6), 48000);
  assertEquals(louder.length, (await Deno.stat(clip)).size, "same size, other samples");
  await Deno.writeFile(clip, louder);
  // File systems keep modification times to a few ms; make the change unmistakable.
  await Deno.utime(clip, new Date(), new Date(Date.now() + 5000));
  const second = await featurizeCorpus(config, await indexCorpus(corpusDir), quiet, cache);
  assertEquals(second.fromCache, false);
  assert(second.rows.vectors[0] !== first.rows.vectors[0], "the new samples' features");
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("featurize: the same clips in another folder get their own cache", async () => {
  const tmp = await Deno.makeTempDir();
  await writeSyntheticCorpus(join(tmp, "a"), [1], [1]);
  await writeSyntheticCorpus(join(tmp, "b"), [1], [1]);
  const a = await indexCorpus(join(tmp, "a"));
  const b = await indexCorpus(join(tmp, "b"));
  assertEquals(a.manifestHash, b.manifestHash, "same listing");
  assert(a.stateHash !== b.stateHash, "but another folder on disk");
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("featurize: a float WAV with NaN or infinite samples is refused by name and nothing is cached", async () => {
  const tmp = await Deno.makeTempDir();
  const corpusDir = join(tmp, "corpus");
  await writeSyntheticCorpus(corpusDir, [1], [1, 2]);
  const bad = join(corpusDir, "Actor_01", "03-01-02-01-01-01-01.wav");
  const samples = tone(48000 * 3.5, 300, 48000);
  const wav = encodeWav(samples, 48000, { float: true });
  const data = new DataView(wav.buffer, 44);
  data.setFloat32(48000 * 4, NaN, true);
  data.setFloat32(60000 * 4, Infinity, true);
  await Deno.writeFile(bad, wav);
  const cache = join(tmp, "cache");
  const corpus = await indexCorpus(corpusDir);
  await assertRejects(
    () => featurizeCorpus(parseArgs([]).config, corpus, quiet, cache),
    Error,
    `${bad}: 2 non-finite samples (NaN or infinity) in channel 1, the first at`,
  );
  const left = await Array.fromAsync(Deno.readDir(cache)).catch(() => []);
  assertEquals(left, []);
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("featurize and run folders: what a kill -9 left is removed on the next start, what a live process holds is not", async () => {
  const tmp = await Deno.makeTempDir();
  const corpusDir = join(tmp, "corpus");
  await writeSyntheticCorpus(corpusDir, [1], [1]);
  const cache = join(tmp, "cache");
  // A killed featurize (no lock held any more) and one still being written by a live process.
  const dead = join(cache, "features-0123456789abcdef.tmp-4242-deadbeef");
  await Deno.mkdir(dead, { recursive: true });
  await Deno.writeTextFile(`${dead}.lock`, "");
  const live = await createTempDir(tempNameFor(join(cache, "features-fedcba9876543210")));
  const lines: string[] = [];
  const sink = { isTerminal: false, write: (t: string) => void lines.push(t) };
  await featurizeCorpus(
    parseArgs(["--workers=1"]).config,
    await indexCorpus(corpusDir),
    sink,
    cache,
  );
  assert(
    lines.some((l) => l.includes(`removed ${dead}, left by an interrupted run`)),
    lines.join(""),
  );
  assertEquals(await exists(dead), false);
  assertEquals(await exists(`${dead}.lock`), false);
  assertEquals(await exists(live.path), true, "a folder in use stays");
  await live.discard();

  const results = join(tmp, "results");
  const partial = join(results, ".2026-11-24T10-31-05Z-temporal-speaker.partial");
  await Deno.mkdir(partial, { recursive: true });
  const writer = await createRunWriter(results, "2026-12-01T00-00-00Z-temporal-speaker");
  assertEquals(await exists(partial), false, "the killed run's partial folder is gone");
  assertEquals(await writer.commit(), join(results, "2026-12-01T00-00-00Z-temporal-speaker"));
  assertEquals([...Deno.readDirSync(results)].map((e) => e.name), [
    "2026-12-01T00-00-00Z-temporal-speaker",
  ]);
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("featurize: a 25-minute clip in a corpus is read by its window, not whole", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const corpusDir = join(tmp, "corpus");
    await writeSyntheticCorpus(corpusDir, [1, 2], [1, 2]);
    // 25 minutes at 16 kHz: a tone for the first 4 s, then quiet hiss; written a minute at a time.
    const rate = 16000;
    const n = rate * 60 * 25;
    const path = join(corpusDir, "Actor_02", "03-01-02-01-01-01-02.wav");
    const head = new DataView(encodeWav(new Float32Array(0), rate).slice(0, 44).buffer);
    head.setUint32(4, 36 + 2 * n, true);
    head.setUint32(40, 2 * n, true);
    const file = await Deno.open(path, { write: true, truncate: true });
    await file.write(new Uint8Array(head.buffer));
    for (let m = 0; m < 25; m++) {
      const minute = m === 0 ? tone(rate * 60, 440, rate, 0.3) : new Float32Array(rate * 60);
      if (m === 0) minute.fill(0, 4 * rate);
      await file.write(encodeWav(minute, rate).subarray(44));
    }
    file.close();
    const corpus = await indexCorpus(corpusDir);
    const set = await featurizeCorpus(
      parseArgs(["--workers=1"]).config,
      corpus,
      quiet,
      join(tmp, "c"),
    );
    const at = corpus.clips.findIndex((c) => c.relPath.startsWith("Actor_02/03-01-02"));
    const vector = set.rows.vectors.subarray(
      at * set.rows.dims.vector,
      (at + 1) * set.rows.dims.vector,
    );
    assert(vector.every(Number.isFinite) && vector.some((v) => v !== 0), "its window's features");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
