/**
 * `deno task reproduce`: the experiment, headless, stage by stage: corpus (find or download,
 * index) -> featurize -> augment -> standardise + train + evaluate per fold -> run folder.
 * Any setting can be changed with `--key=value` (e.g. `--model=seed`, `--protocol=random`,
 * `--epochs=5`). A run that normalises per speaker is followed by its strict twin
 * (`strictTwin`: `eval.strictNorm`, each clip's prosody and level relative to itself unless set; found
 * again if it exists; `--eval.strictToo=false` skips it), and both numbers are printed together.
 */
import { checkBeforeWork, cliContext, fromRoot, openCorpus, runCli } from "./common.ts";
import { featurizeCorpus } from "../pipeline/featurize.ts";
import { ensureRun, runExperiment } from "../experiment/run.ts";
import { configForCorpus } from "../experiment/plan.ts";
import { headline } from "../eval/summary.ts";
import { strictTwin } from "../config/config.ts";
import { normPolicy } from "../normalise/policy.ts";

if (import.meta.main) {
  await runCli(async () => {
    const ctx = cliContext();
    const { sink } = ctx;
    const started = performance.now();
    sink.write("stage 1/4: corpus\n");
    const corpus = await openCorpus(ctx);
    // A corpus of your own brings its labels (and a manifest's split column its test speakers).
    const config = configForCorpus(ctx.config, corpus);
    await checkBeforeWork(config, corpus);
    sink.write("stage 2/4: featurize\n");
    const set = await featurizeCorpus(config, corpus, sink, fromRoot(config.cacheDir));
    sink.write(
      `stage 3/4: augment (recipe ${config.augment.recipe.join(", ")}; training rows only)\n`,
    );
    sink.write(
      `stage 4/4: train and evaluate (${config.model} model, ${config.eval.protocol} protocol)\n`,
    );
    const outcome = await runExperiment(config, set, corpus, sink, fromRoot(config.resultsDir));
    console.log(outcome.table);
    console.log(`\nrun folder: ${outcome.runDir} (report.html inside)`);
    const policy = normPolicy(config.eval.speakerNorm);
    const lines = [
      [
        `${policy.strict ? "strict" : "default"}`,
        outcome.summary,
        outcome.runDir,
      ] as const,
    ];
    if (!policy.strict && config.eval.strictToo) {
      const strictConfig = strictTwin(config);
      const inputs = strictConfig.temporal.input === config.temporal.input
        ? ""
        : ` and --temporal.input=${strictConfig.temporal.input} (no prosody)`;
      sink.write(
        `\nstrict twin: --speakerNorm=${strictConfig.eval.speakerNorm}${inputs}, no statistics of a test voice\n`,
      );
      const dirs = { cacheDir: fromRoot(config.cacheDir), resultsDir: fromRoot(config.resultsDir) };
      const strict = await ensureRun(strictConfig, corpus, dirs, sink);
      if (strict.reused) sink.write(`strict twin: found ${strict.dir}\n`);
      lines.push(["strict", strict.summary!, strict.dir] as const);
    }
    const minutes = (performance.now() - started) / 60000;
    console.log("");
    for (const [name, summary, dir] of lines) {
      const strictPolicy = normPolicy(
        summary === outcome.summary ? config.eval.speakerNorm : config.eval.strictNorm,
      );
      const how = name === "strict"
        ? `no statistics of a test voice${strictPolicy.ownClip ? ` (${strictPolicy.ownClip})` : ""}`
        : `${config.eval.speakerNorm} speaker normalisation`;
      console.log(`${name.padEnd(8)} ${headline(summary)}; ${how}; ${dir}`);
    }
    console.log(`${minutes.toFixed(1)} min in all`);
  });
}
