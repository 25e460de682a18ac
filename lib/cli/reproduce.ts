/**
 * `deno task reproduce`: the experiment, headless, stage by stage. Stages so far: corpus
 * (find or download, index) and featurize; augment, train and evaluate join as they land.
 */
import { cliContext, fromRoot, openCorpus, runCli } from "./common.ts";
import { featurizeCorpus } from "../pipeline/featurize.ts";

if (import.meta.main) {
  await runCli(async () => {
    const ctx = cliContext();
    ctx.sink.write("stage 1/2: corpus\n");
    const corpus = await openCorpus(ctx);
    ctx.sink.write("stage 2/2: featurize\n");
    const set = await featurizeCorpus(ctx.config, corpus, ctx.sink, fromRoot(ctx.config.cacheDir));
    console.log(
      [
        `corpus    ${corpus.root} (${corpus.clips.length} clips, manifest ${
          corpus.manifestHash.slice(0, 12)
        })`,
        `features  ${set.dir} (${
          set.fromCache ? "from cache" : `computed in ${set.computeS.toFixed(1)} s`
        })`,
      ].join("\n"),
    );
  });
}
