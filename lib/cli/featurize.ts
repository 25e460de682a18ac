/** `deno task featurize [--data DIR] [--key=value ...]`: the feature cache for the corpus. */
import { cliContext, fromRoot, openCorpus, runCli } from "./common.ts";
import { featurizeCorpus } from "../pipeline/featurize.ts";

if (import.meta.main) {
  await runCli(async () => {
    const ctx = cliContext();
    const corpus = await openCorpus(ctx);
    const set = await featurizeCorpus(ctx.config, corpus, ctx.sink, fromRoot(ctx.config.cacheDir));
    console.log(
      `${set.clips.length} clips -> ${set.dir}\n` +
        `  vectors.npy [${set.clips.length}, ${set.vectorDim}]  seq_logmel.npy [${set.clips.length}, ${set.seqFrames}, ${set.logmelDim}]  ` +
        `seq_mfcc_delta.npy [${set.clips.length}, ${set.seqFrames}, ${set.mfccDeltaDim}]`,
    );
  });
}
