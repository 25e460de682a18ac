/** Unpacking the corpus archive: entries that would escape the folder, truncated archives. */
import { join } from "node:path";
import { zipSync } from "fflate";
import { assertEquals, assertRejects } from "./assert.ts";
import { extractZip } from "../lib/corpus/download.ts";
import { encodeWav } from "../lib/audio/wav.ts";
import type { ProgressSink } from "../lib/util/progress.ts";
import { ravdessName, tone } from "./helpers.ts";

const quiet: ProgressSink = { isTerminal: false, write: () => {} };

/** A zip shaped like Zenodo's: `Actor_NN/<clip>.wav` at the top. */
function buildCorpusZip(): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const actor of [1, 2]) {
    files[`Actor_0${actor}/${ravdessName(actor, 1)}`] = encodeWav(tone(4800, 220, 48000), 48000);
  }
  return zipSync(files, { level: 6 });
}

Deno.test("extract: entries escaping the target folder are refused before anything is written", async () => {
  const dir = await Deno.makeTempDir();
  for (const evil of ["../evil.wav", "Actor_01/../../evil.wav", "/etc/evil.wav", "..\\evil.wav"]) {
    const zipPath = join(dir, "evil.zip");
    await Deno.writeFile(
      zipPath,
      zipSync({ "Actor_01/ok.wav": new Uint8Array(4), [evil]: new Uint8Array(4) }),
    );
    const target = join(dir, "out");
    await assertRejects(
      () => extractZip(zipPath, target, quiet),
      Error,
      `refusing entry ${JSON.stringify(evil)}`,
    );
    assertEquals(
      [...Deno.readDirSync(dir)].map((e) => e.name),
      ["evil.zip"],
      `nothing extracted for ${evil}`,
    );
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("extract: a truncated archive is an error naming it", async () => {
  const dir = await Deno.makeTempDir();
  const zip = buildCorpusZip();
  const zipPath = join(dir, "cut.zip");
  await Deno.writeFile(zipPath, zip.subarray(0, zip.length - 40));
  await assertRejects(
    () => extractZip(zipPath, join(dir, "out"), quiet),
    Error,
    `${zipPath}: not a readable zip archive`,
  );
  await Deno.remove(dir, { recursive: true });
});
