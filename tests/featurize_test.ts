/** The featurize stage end to end on a tiny synthetic corpus: cache files, cache hits, keys. */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { featurizeCorpus } from "../lib/pipeline/featurize.ts";
import { indexCorpus } from "../lib/corpus/index_fs.ts";
import { parseArgs } from "../lib/config/config.ts";
import { readNpyFile } from "../lib/cache/files.ts";
import { writeSyntheticCorpus } from "./helpers.ts";

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
  assertEquals(Array.from(again.vectors), Array.from(first.vectors));

  const other = await featurizeCorpus(parseArgs(["--nMels=64"]).config, corpus, quiet, cache);
  assert(other.dir !== first.dir, "a changed feature config gets its own cache");
  assertEquals(other.vectorDim, 1 + 12 + 20 + 1 + 64);
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
