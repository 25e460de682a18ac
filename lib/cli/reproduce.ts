/**
 * `deno task reproduce`: the experiment, headless, stage by stage. Stages so far: corpus
 * (find or download, index), featurize, augment (training actors of every split); train and
 * evaluate join as they land.
 */
import { cliContext, fromRoot, openCorpus, runCli } from "./common.ts";
import { featurizeCorpus } from "../pipeline/featurize.ts";
import { augmentForSplits } from "../pipeline/augment.ts";
import { splitsFromConfig } from "../corpus/splits.ts";

if (import.meta.main) {
  await runCli(async () => {
    const ctx = cliContext();
    ctx.sink.write("stage 1/3: corpus\n");
    const corpus = await openCorpus(ctx);
    ctx.sink.write("stage 2/3: featurize\n");
    const set = await featurizeCorpus(ctx.config, corpus, ctx.sink, fromRoot(ctx.config.cacheDir));
    ctx.sink.write("stage 3/3: augment\n");
    const lines: string[] = [];
    const splits = splitsFromConfig(corpus.clips, ctx.config.split);
    const augmented = await augmentForSplits(ctx.config, set, corpus.root, splits, ctx.sink);
    splits.forEach((split, i) => {
      lines.push(
        `  ${split.name.padEnd(12)} train actors ${split.trainActors.join(",")}: ${
          augmented[i].rows.length
        } ` +
          `derived rows; held-out actors ${
            [...split.testActors, ...split.valActors].join(",")
          } not augmented`,
      );
    });
    const computed = set.fromCache ? "from cache" : `computed in ${set.computeS.toFixed(1)} s`;
    console.log(
      [
        `corpus    ${corpus.root} (${corpus.clips.length} clips, manifest ${
          corpus.manifestHash.slice(0, 12)
        })`,
        `features  ${set.dir} (${computed})`,
        `augment   recipe ${ctx.config.augment.recipe.join(", ")}`,
        ...lines,
      ].join("\n"),
    );
  });
}
