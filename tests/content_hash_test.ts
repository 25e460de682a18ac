/**
 * Caches and manifests keyed by what the clips hold: an edit in place that keeps the size and
 * puts the modification time back is seen; the same audio under two speakers is refused, under
 * one speaker it is a warning; a warm start takes the hashes from the cache.
 */
import { join } from "node:path";
import { assert, assertEquals, assertNotEquals, assertRejects } from "./assert.ts";
import { indexCorpus } from "../lib/corpus/index_fs.ts";
import { hashCachePath } from "../lib/corpus/content_hash.ts";
import { ravdessName, writeSyntheticCorpus } from "./helpers.ts";

Deno.test("a same-size edit with its mtime put back changes the cache key and the manifest", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const corpusDir = join(tmp, "corpus");
    const names = await writeSyntheticCorpus(corpusDir, [1, 2], [1, 3]);
    const cache = join(tmp, "cache");
    const before = await indexCorpus(corpusDir, "ravdess", cache);
    const warm = await indexCorpus(corpusDir, "ravdess", cache);
    assertEquals(warm.stateHash, before.stateHash);
    const remembered = JSON.parse(
      await Deno.readTextFile(await hashCachePath(cache, await Deno.realPath(corpusDir))),
    );
    assertEquals(Object.keys(remembered.entries).length, 4);

    // Flip one sample's bytes in place, then give the file its old modification time back.
    const path = join(corpusDir, "Actor_01", names[0]);
    const { mtime, atime, size } = await Deno.stat(path);
    const bytes = await Deno.readFile(path);
    bytes[1000] ^= 0xff;
    await Deno.writeFile(path, bytes);
    await Deno.utime(path, atime!, mtime!);
    assertEquals((await Deno.stat(path)).size, size);
    assertEquals((await Deno.stat(path)).mtime?.getTime(), mtime!.getTime());
    const after = await indexCorpus(corpusDir, "ravdess", cache);
    assertNotEquals(after.stateHash, before.stateHash, "the feature cache key sees the edit");
    assertNotEquals(after.manifestHash, before.manifestHash, "so does the run's manifest");
    assertEquals(after.contentHashes.filter((h, i) => h !== before.contentHashes[i]).length, 1);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("the same audio under two speakers is refused; twice under one speaker is a warning", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const names = await writeSyntheticCorpus(tmp, [1, 2], [1, 3]);
    // Actor 1's happy clip also filed as its calm clip: one speaker, a warning.
    const a1 = join(tmp, "Actor_01");
    const copy = ravdessName(1, 2);
    await Deno.copyFile(join(a1, names[0]), join(a1, copy));
    const index = await indexCorpus(tmp);
    assertEquals(index.duplicates, [{
      speaker: 1,
      relPaths: [`Actor_01/${names[0]}`, `Actor_01/${copy}`].sort(),
    }]);
    // ...and under actor 2's name too: one recording on both sides of a speaker split.
    const other = join(tmp, "Actor_02", ravdessName(2, 2));
    await Deno.copyFile(join(a1, names[0]), other);
    await assertRejects(() => indexCorpus(tmp), Error, "filed under different speakers (1, 2)");
    const err = await indexCorpus(tmp).catch((e: Error) => e.message);
    assert(String(err).includes(other) || String(err).includes(join(a1, names[0])), String(err));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
