/**
 * Would a linear model on per-clip functionals help a trained run? Fits one
 * (`lib/model/softmax_regression.ts` on `lib/features/functionals.ts`) per fold of the run, on
 * the same training speakers, scores the run's test clips with it, and prints it alone, the run
 * alone, and the two averaged at a few weights, per fold, with McNemar's test and a speaker
 * bootstrap against the run (`lib/eval/compare.ts`). No network is retrained:
 *
 *   deno run -A tools/functionals_blend.ts --data=/tmp/ravdess20 --run=RUN_DIR \
 *     [--lambda=0.1] [--weights=0.25,0.5] [--augmented] [--strict] [--seed=N]
 *
 * Functionals are z-scored within each speaker (all of a speaker's clips, as the default's
 * per-speaker normalisation), or with `--strict` with the training speakers' statistics only
 * (nothing of a test voice: compare it with a strict run). `--augmented` adds the training
 * speakers' derived rows (the run's recipe; give the run's `--seed` so the augment cache is
 * the run's).
 */
import { cliContext, fromRoot, openCorpus, runCli } from "../lib/cli/common.ts";
import { featurizeCorpus } from "../lib/pipeline/featurize.ts";
import { augmentForSplit } from "../lib/pipeline/augment.ts";
import { loadRun } from "../lib/run/store.ts";
import type { PredictionRow } from "../lib/eval/predictions.ts";
import { clipFunctionals, zScoreByGroup } from "../lib/features/functionals.ts";
import { fitSoftmax, predictSoftmax } from "../lib/model/softmax_regression.ts";
import { comparePredictions, formatComparison } from "../lib/eval/compare.ts";
import { confusionMatrix, metricsFromConfusion } from "../lib/eval/metrics.ts";

const OWN = /^--(run|lambda|weights|augmented|strict)(=|$)/;

/** The run's rows with each clip's probabilities replaced by `(1 - w) run + w linear`. */
export function blend(
  rows: readonly PredictionRow[],
  linear: ReadonlyMap<string, Float64Array>,
  labels: readonly string[],
  w: number,
): PredictionRow[] {
  return rows.map((r) => {
    const q = linear.get(r.clip);
    if (!q) throw new Error(`no linear score for clip ${r.clip}`);
    const probabilities = Object.fromEntries(
      labels.map((l, c) => [l, (1 - w) * r.probabilities[l] + w * q[c]]),
    );
    const best = labels.reduce((a, b) => (probabilities[b] > probabilities[a] ? b : a));
    return { ...r, probabilities, predicted: best };
  });
}

function summary(rows: readonly PredictionRow[], labels: readonly string[]): string {
  const m = metricsFromConfusion(
    confusionMatrix(
      rows.map((r) => labels.indexOf(r.truth)),
      rows.map((r) => labels.indexOf(r.predicted)),
      labels.length,
    ),
    labels,
  );
  const folds = [...new Set(rows.map((r) => r.fold))].map((f) => {
    const of = rows.filter((r) => r.fold === f);
    return (100 * of.filter((r) => r.truth === r.predicted).length / of.length).toFixed(1);
  });
  return `${(100 * m.accuracy).toFixed(1)} % (UAR ${(100 * m.uar).toFixed(1)} %; ${
    folds.join(" / ")
  })`;
}

if (import.meta.main) {
  await runCli(async () => {
    const own = (name: string) =>
      Deno.args.find((a) => a === `--${name}` || a.startsWith(`--${name}=`))?.split("=")[1] ??
        (Deno.args.includes(`--${name}`) ? "true" : undefined);
    const runDir = own("run");
    if (!runDir) throw new Error("give --run=RUN_DIR: a stored run to blend with");
    const lambda = Number(own("lambda") ?? 0.1);
    const weights = (own("weights") ?? "0.25,0.33,0.5").split(",").map(Number);
    const strict = own("strict") === "true";
    const ctx = cliContext(Deno.args.filter((a) => !OWN.test(a)));
    const run = await loadRun(runDir);
    const labels = run.summary.primary.pooled.labels;
    const corpus = await openCorpus(ctx);
    const set = await featurizeCorpus(ctx.config, corpus, ctx.sink, fromRoot(ctx.config.cacheDir));
    const { clips } = set;
    const actors = [...new Set(clips.map((c) => c.actor))];
    const derived = own("augmented") === "true"
      ? await augmentForSplit(ctx.config, set, corpus.root, {
        name: "every speaker",
        trainActors: actors,
        testActors: [],
        valActors: [],
      }, ctx.sink)
      : null;
    const x = clips.map((_, i) => clipFunctionals(set.rows, i));
    const xd = derived ? derived.rows.map((_, j) => clipFunctionals(derived.features, j)) : [];
    const all = [...x, ...xd];
    const actorOf = [...clips.map((c) => c.actor), ...(derived?.rows.map((r) => r.actor) ?? [])];
    const clipOf = [...clips.map((_, i) => i), ...(derived?.rows.map((r) => r.clipIndex) ?? [])];
    const byId = new Map(clips.map((c, i) => [c.id, i]));
    const linear = new Map<string, Float64Array>();
    const started = performance.now();
    for (const fold of [...new Set(run.predictions.map((p) => p.fold))]) {
      const testIds = run.predictions.filter((p) => p.fold === fold).map((p) => p.clip);
      const testActors = new Set(testIds.map((id) => clips[byId.get(id)!].actor));
      const train = all.map((_, i) => i).filter((i) => !testActors.has(actorOf[i]));
      const z = all.map((r) => Float64Array.from(r));
      if (strict) {
        // One group for everyone, its statistics from the training speakers' original clips.
        const trainSet = new Set(train);
        zScoreByGroup(z, z.map(() => 0), (i) => i < x.length && trainSet.has(i));
      } else {
        zScoreByGroup(z, actorOf, (i) => i < x.length);
      }
      const model = fitSoftmax(
        train.map((i) => z[i]),
        train.map((i) => labels.indexOf(clips[clipOf[i]].emotion)),
        labels.length,
        { lambda },
      );
      const scored = predictSoftmax(model, testIds.map((id) => z[byId.get(id)!]));
      testIds.forEach((id, k) => linear.set(id, scored[k]));
    }
    console.log(
      `${clips.length} clips, ${x[0].length} functionals, ${xd.length} derived rows; ` +
        `lambda ${lambda}; ${strict ? "strict (training speakers' statistics)" : "per speaker"}; ` +
        `fitted in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    console.log(`the run alone:    ${summary(run.predictions, labels)}`);
    console.log(`the linear alone: ${summary(blend(run.predictions, linear, labels, 1), labels)}`);
    for (const w of weights) {
      const mixed = blend(run.predictions, linear, labels, w);
      console.log(`\nblend w = ${w}:   ${summary(mixed, labels)}`);
      console.log(formatComparison(comparePredictions(run.predictions, mixed)));
    }
  });
}
