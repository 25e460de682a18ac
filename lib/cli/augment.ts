/**
 * `deno task augment [--split.testActors=[7,8]] [--augment.recipe=[...]]`: derived training rows
 * for every split the config describes (k folds by actor unless test actors are named).
 */
import { cliContext, fromRoot, openCorpus, runCli } from "./common.ts";
import { featurizeCorpus } from "../pipeline/featurize.ts";
import { augmentForSplits } from "../pipeline/augment.ts";
import { splitsFromConfig } from "../experiment/splits.ts";

if (import.meta.main) {
  await runCli(async () => {
    const ctx = cliContext();
    const corpus = await openCorpus(ctx);
    const features = await featurizeCorpus(
      ctx.config,
      corpus,
      ctx.sink,
      fromRoot(ctx.config.cacheDir),
    );
    const splits = splitsFromConfig(corpus.clips, ctx.config.split);
    const sets = await augmentForSplits(ctx.config, features, corpus.root, splits, ctx.sink);
    splits.forEach((split, i) => {
      const set = sets[i];
      const heldOut = [...split.testActors, ...split.valActors].join(",");
      const source = set.computedActors.length
        ? `computed actors ${set.computedActors.join(",")}`
        : "all from cache";
      console.log(
        `${split.name}: train actors ${
          split.trainActors.join(",")
        } -> ${set.rows.length} derived rows ` +
          `(${
            ctx.config.augment.recipe.join(", ")
          }); held out ${heldOut} never augmented; ${source}\n  ${set.dir}`,
      );
    });
  });
}
