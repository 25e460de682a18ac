/**
 * Smaller things a new user runs into: a damaged scaler, too many workers, `.WAV` in capitals,
 * `--data /`. Each is refused or handled with a message that names it.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import { parseScaler } from "../lib/normalise/scaler.ts";
import { featureWorkerCount } from "../lib/util/pool.ts";
import { indexCorpus } from "../lib/corpus/index_fs.ts";
import { writeSyntheticCorpus } from "./helpers.ts";

Deno.test("a scaler with a zero or missing scale is refused by name", () => {
  const ok = { dim: 2, mean: [0, 1], scale: [1, 2], fittedOn: 3 };
  assertEquals(parseScaler(ok, "s.json"), ok);
  assertThrows(
    () => parseScaler({ ...ok, scale: [1, 0] }, "models/a/scaler.json"),
    Error,
    "models/a/scaler.json: damaged scaler: scale[1] is 0",
  );
  assertThrows(() => parseScaler({ ...ok, scale: [null, 1] }, "s.json"), Error, "scale[0] is null");
  assertThrows(() => parseScaler({ ...ok, mean: [0, "x"] }, "s.json"), Error, "mean[1] is x");
});

Deno.test("--workers beyond the cores is capped at the cores, and says so", () => {
  const cores = navigator.hardwareConcurrency;
  const said: string[] = [];
  assertEquals(featureWorkerCount(1000, (l) => said.push(l)), cores);
  assert(said[0].includes(`--workers=1000: capped at this machine's ${cores} cores`), said[0]);
  assertEquals(featureWorkerCount(1), 1);
  assertEquals(featureWorkerCount(0), cores);
});

Deno.test("clips named .WAV are read like .wav; the file system's root is not a corpus", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const names = await writeSyntheticCorpus(tmp, [1, 2], [1, 3]);
    const first = join(tmp, "Actor_01", names[0]);
    await Deno.rename(first, first.replace(/\.wav$/, ".WAV"));
    const corpus = await indexCorpus(tmp);
    assertEquals(corpus.clips.length, 4);
    assert(corpus.clips.some((c) => c.relPath.endsWith(".WAV")));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  await assertRejects(() => indexCorpus("/"), Error, "the file system's root, not a corpus folder");
});
