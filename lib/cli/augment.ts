/**
 * `deno task augment [--split.testActors=[7,8]] [--augment.recipe=[...]]`: derived training rows
 * for every split the config describes (k folds by actor unless test actors are named).
 */
import { cliContext, fromRoot, openCorpus, runCli } from "./common.ts";
import { featurizeCorpus } from "../pipeline/featurize.ts";
import { augmentForSplit } from "../pipeline/augment.ts";
import { splitsFromConfig } from "../corpus/splits.ts";

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
    for (const split of splitsFromConfig(corpus.clips, ctx.config.split)) {
      const set = await augmentForSplit(ctx.config, features, corpus.root, split, ctx.sink);
      console.log(
        `${split.name}: train actors ${
          split.trainActors.join(",")
        } -> ${set.rows.length} derived rows ` +
          `(${ctx.config.augment.recipe.join(", ")}); held out ${
            [...split.testActors, ...split.valActors].join(",")
          } ` +
          `never augmented; ${
            set.computedActors.length
              ? `computed actors ${set.computedActors.join(",")}`
              : "all from cache"
          }\n  ${set.dir}`,
      );
    }
  });
}
