/**
 * The hard pairs of emotions, looked at on the clips: which prosody statistics separate them
 * within a speaker (`lib/eval/separability.ts`), printed as a Markdown table. Reads the
 * configured corpus's cached features (computing them if missing), no model:
 *
 *   deno run -A tools/hard_pairs.ts --data=/tmp/ravdess20 [--top=4]
 */
import { cliContext, fromRoot, openCorpus, runCli } from "../lib/cli/common.ts";
import { featurizeCorpus } from "../lib/pipeline/featurize.ts";
import { PROSODY_DIM } from "../lib/features/prosody.ts";
import { clipProsodyStats, separatePairs, zScoreWithinSpeaker } from "../lib/eval/separability.ts";

const PAIRS = [
  ["happy", "calm"],
  ["happy", "surprised"],
  ["happy", "neutral"],
  ["neutral", "calm"],
  ["angry", "calm"],
] as const;

if (import.meta.main) {
  await runCli(async () => {
    const ctx = cliContext(Deno.args.filter((a) => !a.startsWith("--top")));
    const top = Number(Deno.args.find((a) => a.startsWith("--top="))?.slice(6) ?? 4);
    const corpus = await openCorpus(ctx);
    const set = await featurizeCorpus(ctx.config, corpus, ctx.sink, fromRoot(ctx.config.cacheDir));
    const { rows, clips } = set;
    const size = rows.dims.frames * PROSODY_DIM;
    const stats = clips.map((_, i) =>
      clipProsodyStats(rows.prosody.subarray(i * size, (i + 1) * size), rows.validFrames[i])
    );
    const z = zScoreWithinSpeaker(stats, clips.map((c) => c.actor));
    const result = separatePairs(z, clips.map((c) => c.emotion), PAIRS);
    const actors = new Set(clips.map((c) => c.actor)).size;
    console.log(
      `${clips.length} clips, ${actors} speakers; statistics z-scored within each speaker; ` +
        `Cohen's d (> 0: the first emotion higher)\n`,
    );
    console.log(
      `| pair | ${Array.from({ length: top }, (_, k) => `cue ${k + 1} (d)`).join(" | ")} |`,
    );
    console.log(`| --- | ${Array.from({ length: top }, () => "---").join(" | ")} |`);
    for (const p of result) {
      const cells = p.cues.slice(0, top).map((c) => `${c.stat} (${c.d.toFixed(2)})`);
      console.log(`| ${p.a} / ${p.b} | ${cells.join(" | ")} |`);
    }
  });
}
