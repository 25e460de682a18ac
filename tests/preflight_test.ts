/**
 * Settings the corpus cannot meet are refused as soon as it is indexed, naming the setting,
 * instead of after minutes of featurizing and augmenting.
 */
import { join } from "node:path";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { checkSplitSettings } from "../lib/experiment/splits.ts";
import { DEFAULT_CONFIG } from "../lib/config/config.ts";
import type { ClipRecord } from "../lib/schema/corpus.ts";
import { PROJECT_ROOT } from "../lib/util/project.ts";
import { writeSyntheticCorpus } from "./helpers.ts";

const clipsOf = (actors: number[]) =>
  actors.map((actor, i) => ({ actor, path: `a${i}.wav` }) as unknown as ClipRecord);
const split = DEFAULT_CONFIG.split;

Deno.test("split settings the corpus cannot meet are errors naming the setting", () => {
  const four = clipsOf([1, 2, 3, 4]);
  assertThrows(
    () => checkSplitSettings(four, { ...split, folds: 9 }, "speaker"),
    Error,
    "--split.folds=9: the corpus has 4 speakers (1, 2, 3, 4), so at most 4 folds",
  );
  assertThrows(
    () => checkSplitSettings(four, { ...split, testActors: [2, 30] }, "speaker"),
    Error,
    "--split.testActors: speaker 30 not in the corpus",
  );
  assertThrows(
    () => checkSplitSettings(four, { ...split, folds: 2, valActors: [7] }, "speaker"),
    Error,
    "--split.valActors: speaker 7",
  );
  assertThrows(
    () => checkSplitSettings(four, { ...split, testActors: [1, 2, 3, 4] }, "speaker"),
    Error,
    "no speaker is left to train on",
  );
  assertThrows(
    () => checkSplitSettings(clipsOf([5, 5]), split, "speaker"),
    Error,
    "one speaker (5)",
  );
  // Files, not speakers, are split by the random protocol: one speaker is fine there.
  checkSplitSettings(clipsOf([5, 5]), split, "random");
  checkSplitSettings(four, { ...split, folds: 4 }, "speaker");
});

Deno.test({
  name: "reproduce refuses --split.folds and an unwritable results folder before featurizing",
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    try {
      await writeSyntheticCorpus(join(tmp, "corpus"), [1, 2, 3], [1, 2]);
      await Deno.writeTextFile(join(tmp, "a-file"), "");
      const reproduce = async (...args: string[]) => {
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            join(PROJECT_ROOT, "lib/cli/reproduce.ts"),
            `--data=${join(tmp, "corpus")}`,
            `--cacheDir=${join(tmp, "cache")}`,
            ...args,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        return new TextDecoder().decode(out.stderr);
      };
      const folds = await reproduce("--split.folds=5", `--resultsDir=${join(tmp, "results")}`);
      assert(folds.includes("--split.folds=5: the corpus has 3 speakers"), folds);
      assert(!folds.includes("stage 2/4"), "refused before featurizing");
      const results = join(tmp, "a-file", "results");
      const unwritable = await reproduce("--split.folds=3", `--resultsDir=${results}`);
      assert(unwritable.includes(`--resultsDir=${results}: cannot write there`), unwritable);
      assert(!unwritable.includes("stage 2/4"));
      assertEquals(
        [...Deno.readDirSync(tmp)].map((e) => e.name).sort(),
        ["a-file", "cache", "corpus"],
      );
      // Only the clips' content hashes were kept (cheap, and right); nothing was featurized.
      assertEquals([...Deno.readDirSync(join(tmp, "cache"))].map((e) => e.name), [
        "content-hashes",
      ]);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
