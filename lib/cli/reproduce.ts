/**
 * `deno task reproduce`: the experiment, headless, stage by stage: corpus (find or download,
 * index) -> featurize -> augment -> standardise + train + evaluate per fold -> run folder.
 * Any setting can be changed with `--key=value` (e.g. `--model=seed`, `--protocol=random`,
 * `--epochs=5`).
 */
import { cliContext, fromRoot, openCorpus, runCli } from "./common.ts";
import { featurizeCorpus } from "../pipeline/featurize.ts";
import { runExperiment } from "../experiment/run.ts";

if (import.meta.main) {
  await runCli(async () => {
    const ctx = cliContext();
    const { config, sink } = ctx;
    const started = performance.now();
    sink.write("stage 1/4: corpus\n");
    const corpus = await openCorpus(ctx);
    sink.write("stage 2/4: featurize\n");
    const set = await featurizeCorpus(config, corpus, sink, fromRoot(config.cacheDir));
    sink.write(
      `stage 3/4: augment (recipe ${config.augment.recipe.join(", ")}; training rows only)\n`,
    );
    sink.write(
      `stage 4/4: train and evaluate (${config.model} model, ${config.eval.protocol} protocol)\n`,
    );
    const outcome = await runExperiment(config, set, corpus, sink, fromRoot(config.resultsDir));
    const minutes = (performance.now() - started) / 60000;
    console.log(outcome.table);
    console.log(
      `\nrun folder: ${outcome.runDir} (report.html inside); ${minutes.toFixed(1)} min in all`,
    );
  });
}
