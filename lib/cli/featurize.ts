/** `deno task featurize [--data DIR] [--key=value ...]`: the feature cache for the corpus. */
import { cliContext, fromRoot, openCorpus, runCli } from "./common.ts";
import { featurizeCorpus } from "../pipeline/featurize.ts";
import { ROW_FILES } from "../features/rows.ts";

if (import.meta.main) {
  await runCli(async () => {
    const ctx = cliContext();
    const corpus = await openCorpus(ctx);
    const set = await featurizeCorpus(ctx.config, corpus, ctx.sink, fromRoot(ctx.config.cacheDir));
    const { count: n, dims } = set.rows;
    console.log(
      `${n} clips -> ${set.dir}\n` +
        `  ${ROW_FILES.vectors} [${n}, ${dims.vector}]  ${ROW_FILES.logmel} [${n}, ${dims.frames}, ` +
        `${dims.logmel}]  ${ROW_FILES.mfccDelta} [${n}, ${dims.frames}, ${dims.mfccDelta}]  ` +
        `${ROW_FILES.prosody} [${n}, ${dims.frames}, ${dims.prosody}]`,
    );
  });
}
