/** `deno task data [--data DIR]`: find the corpus, or download and unpack it, then index it. */
import { cliContext, openCorpus, runCli } from "./common.ts";

if (import.meta.main) {
  await runCli(async () => {
    const corpus = await openCorpus(cliContext());
    console.log(
      `${corpus.root}: ${corpus.clips.length} clips, manifest ${corpus.manifestHash.slice(0, 16)}`,
    );
  });
}
