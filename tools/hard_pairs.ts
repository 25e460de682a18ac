/**
 * The hard pairs of emotions, looked at on the clips: which prosody statistics separate them
 * within a speaker (`lib/eval/separability.ts`), printed as a Markdown table. Reads the
 * configured corpus's cached features (computing them if missing), no model:
 *
 *   deno run -A tools/hard_pairs.ts --data=/tmp/ravdess20 [--top=4] [--run=RUN_DIR]
 *
 * With `--run`, the pairs are the run's most confused ones (its confusion matrix, both
 * directions added) and each class's recall is split by RAVDESS's intensity (normal / strong).
 */
import { cliContext, fromRoot, openCorpus, runCli } from "../lib/cli/common.ts";
import { featurizeCorpus } from "../lib/pipeline/featurize.ts";
import { loadRun } from "../lib/run/store.ts";
import type { PredictionRow } from "../lib/run/predictions.ts";
import { PROSODY_DIM } from "../lib/features/prosody.ts";
import { clipProsodyStats, separatePairs, zScoreWithinSpeaker } from "../lib/eval/separability.ts";

const PAIRS: [string, string][] = [
  ["happy", "calm"],
  ["happy", "surprised"],
  ["happy", "neutral"],
  ["neutral", "calm"],
  ["angry", "calm"],
];

/** The `count` most confused pairs of a confusion matrix (true rows, predicted columns). */
function confusedPairs(
  labels: readonly string[],
  m: readonly number[][],
  count: number,
): { pair: [string, string]; clips: number }[] {
  const out: { pair: [string, string]; clips: number }[] = [];
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      out.push({ pair: [labels[i], labels[j]], clips: m[i][j] + m[j][i] });
    }
  }
  return out.sort((a, b) => b.clips - a.clips).slice(0, count);
}

/** Recall per class and RAVDESS intensity (the id's fourth field: 01 normal, 02 strong). */
function recallByIntensity(rows: readonly PredictionRow[]): string[] {
  const tally = new Map<string, { normal: number[]; strong: number[] }>();
  for (const { clip, truth, predicted } of rows) {
    const t = tally.get(truth) ?? { normal: [0, 0], strong: [0, 0] };
    const side = clip.split("-")[3] === "02" ? t.strong : t.normal;
    side[0] += truth === predicted ? 1 : 0;
    side[1]++;
    tally.set(truth, t);
  }
  const pct = ([ok, n]: number[]) => (n ? `${((100 * ok) / n).toFixed(0)} % of ${n}` : "-");
  return [...tally].map(([label, t]) => `| ${label} | ${pct(t.normal)} | ${pct(t.strong)} |`);
}

if (import.meta.main) {
  await runCli(async () => {
    const own = (name: string) => Deno.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
    const ctx = cliContext(Deno.args.filter((a) => !/^--(top|run)=/.test(a)));
    const top = Number(own("top") ?? 4);
    const run = own("run");
    let pairs = PAIRS;
    if (run) {
      const stored = await loadRun(run);
      const { labels, confusion } = stored.summary.primary.pooled;
      const confused = confusedPairs(labels, confusion, 6);
      pairs = confused.map((c) => c.pair);
      console.log(
        `the run's most confused pairs (clips, both directions): ${
          confused.map((c) => `${c.pair.join("/")} ${c.clips}`).join(", ")
        }\n`,
      );
      console.log("| class | recall, normal intensity | recall, strong intensity |");
      console.log("| --- | --- | --- |");
      console.log(recallByIntensity(stored.predictions).join("\n"));
      console.log("");
    }
    const corpus = await openCorpus(ctx);
    const set = await featurizeCorpus(ctx.config, corpus, ctx.sink, fromRoot(ctx.config.cacheDir));
    const { rows, clips } = set;
    const size = rows.dims.frames * PROSODY_DIM;
    const stats = clips.map((_, i) =>
      clipProsodyStats(rows.prosody.subarray(i * size, (i + 1) * size), rows.validFrames[i])
    );
    const z = zScoreWithinSpeaker(stats, clips.map((c) => c.actor));
    const result = separatePairs(z, clips.map((c) => c.emotion), pairs);
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
