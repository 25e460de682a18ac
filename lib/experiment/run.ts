/**
 * The experiment after featurize/augment (Deno only): build the protocol's row plans, train the
 * networks of every fold (several at once, in workers), score them, and write the run folder.
 * `deno task reproduce` calls this.
 */
import * as tf from "@tensorflow/tfjs";
import { basename, join } from "node:path";
import { linearMemberWeight, type RunConfig } from "../config/config.ts";
import type { CorpusIndex } from "../corpus/index_fs.ts";
import type { LabelSet } from "../schema/corpus.ts";
import { type PredictionRow, predictionsCsv } from "../run/predictions.ts";
import type { FoldPlan } from "./splits.ts";
import {
  clipBatchNormApplies,
  normPolicy,
  voiceBatchNormApplies,
  voiceEmbeddingNormApplies,
} from "../normalise/policy.ts";
import {
  type FoldResult,
  inputChannels,
  inputKindOf,
  inputShape,
  prepareFold,
  type RowSource,
  runLabelSet,
} from "./fold.ts";
import { buildModel, memberInput, memberNames, memberSeed } from "./members.ts";
import { type MemberEpochHook, parallelNetworks, trainFolds } from "./train.ts";
import { scoreStoredFolds } from "./rescore.ts";
import { corporaText, planExperiment, rowSourceOf } from "./plan.ts";
import {
  confusionCsv,
  formatSummary,
  perClassCsv,
  type RunHistory,
  type RunSummary,
  summarizeRun,
} from "../eval/summary.ts";
import { renderReport } from "../eval/report.ts";
import { chooseGemm } from "../model/blas_ffi.ts";
import { useTrainingBackend } from "../model/backend.ts";
import { saveModel } from "../model/io_fs.ts";
import { layerRows } from "../model/networks.ts";
import { createRunWriter, findRun, gitState, loadRun, type StoredRun } from "../run/store.ts";
import { linearMemberName, makeRunId, RUN_FILES } from "../run/record.ts";
import { linearMemberJson } from "../model/linear_member.ts";
import { buildRunRecord } from "../run/build.ts";
import { PLOTLY_FILE, sharePlotly } from "../plots/plotly_fs.ts";
import { type FeatureSet, featurizeCorpus } from "../pipeline/featurize.ts";
import type { ProgressSink } from "../util/progress.ts";
import { PROJECT_ROOT } from "../util/project.ts";
import { defaultWorkerCount } from "../util/pool.ts";
import { figuresHtml, runFigures } from "../plots/figures.ts";

export { planExperiment, rowSourceOf };

/** A corpus as the run record names it. */
const corpusEntry = (c: CorpusIndex) => ({
  name: c.corpus,
  root: c.root,
  clips: c.clips.length,
  manifestHash: c.manifestHash,
});

/** Called after every epoch of every fold (a notebook draws live training curves with it). */
export interface ExperimentHooks {
  /** `member` counts ensemble members (0 for a single network). */
  onEpoch?: MemberEpochHook;
  /**
   * A stored run whose networks score the folds instead of training new ones (`deno task
   * rescore`): its config must train exactly what this one trains.
   */
  networksOf?: string;
}

export interface ExperimentOutcome {
  runDir: string;
  summary: RunSummary;
  table: string;
}

/** What the protocol text says of test-time augmentation ("" without it). */
export function ttaText(config: RunConfig): string {
  const rows = config.eval.tta;
  return rows.length
    ? `; test-time augmentation: each test clip's probabilities are the mean over the clip and its variants ${
      rows.join(", ")
    }`
    : "";
}

/** What the protocol text says of voice batch-norm statistics ("" where they do not apply). */
export function voiceBatchNormText(config: RunConfig): string {
  return voiceBatchNormApplies(config)
    ? "; each network's batch-norm layers use the test actor's own statistics (of the same recordings, layer by layer) instead of the training set's" +
      (voiceEmbeddingNormApplies(config)
        ? ", and its pooled embeddings are standardised with the actor's own statistics onto the training actors' scale"
        : "")
    : clipBatchNormApplies(config)
    ? `; each network's batch-norm layers mix the test clip's own statistics with the training set's (which count as ${config.eval.clipBatchNorm} clips beside it, layer by layer)`
    : "";
}

/** What the protocol text says of the linear member ("" without one). */
export function linearText(config: RunConfig): string {
  const w = linearMemberWeight(config);
  return w > 0
    ? `; each fold's networks averaged with a linear member on clip functionals (${config.train.linearStatistics.length} statistics of every input column; softmax regression, L2 ${config.train.linearLambda}, fitted on the fold's training clips) at weight ${w}`
    : "";
}

export const foldSeed = (seed: number, fold: number) => seed + 1000 * fold;

/** Every test clip's line of `predictions.csv`, and whether its clips come from several corpora. */
function predictionRows(
  src: RowSource,
  results: FoldResult[],
  set: LabelSet,
): { rows: PredictionRow[]; mixed: boolean } {
  const labels = set.classes;
  const k = labels.length;
  const mixed = src.clips.some((c) => c.corpus !== src.clips[0].corpus);
  const rows = results.flatMap((r) =>
    r.testClips.map((clip, i) => {
      const p = Array.from(r.testProbabilities.subarray(i * k, (i + 1) * k));
      const best = p.indexOf(Math.max(...p));
      const c = src.clips[clip];
      return {
        clip: c.id,
        corpus: c.corpus ?? "ravdess",
        actor: c.actor,
        fold: r.name,
        truth: set.classes[set.indexOf(c.emotion)],
        predicted: labels[best],
        probabilities: Object.fromEntries(labels.map((l, j) => [l, p[j]])),
      };
    })
  );
  return { rows, mixed };
}

export async function runExperiment(
  config: RunConfig,
  features: FeatureSet,
  corpus: CorpusIndex,
  sink: ProgressSink,
  resultsDir: string,
  hooks: ExperimentHooks = {},
): Promise<ExperimentOutcome> {
  const { plans, augmented, src, others } = await planExperiment(config, features, corpus, sink);
  const threads = defaultWorkerCount(config.train.threads);
  const { gemm, note } = chooseGemm(config.train.gemm, threads);
  const networks = plans.length * config.train.ensemble;
  const parallel = parallelNetworks(config, networks);
  sink.write(`${note}, ${parallel} network${parallel === 1 ? "" : "s"} at a time\n`);
  const backend = await useTrainingBackend(gemm, { kernels: config.train.kernels });
  const runId = makeRunId(config.model, config.eval.protocol);
  const writer = await createRunWriter(resultsDir, runId);
  const results: FoldResult[] = [];
  try {
    const folds = plans.map((plan, i) => prepareFold(config, src, plan, foldSeed(config.seed, i)));
    const onFold = async (result: FoldResult) => {
      const last = result.history[result.history.length - 1];
      sink.write(
        `${result.name}: loss ${last.loss.toFixed(3)}, train acc ${
          (100 * last.accuracy).toFixed(1)
        } %, test acc ${(100 * result.metrics.accuracy).toFixed(1)} %\n`,
      );
      const names = memberNames(result.name, result.models.length);
      for (const [m, model] of result.models.entries()) {
        const modelDir = join(writer.dir, RUN_FILES.models, names[m]);
        await saveModel(model, modelDir);
        // The member's training voices' embedding statistics ride in its scaler file, so every
        // reader of a run (predict, the live page's fetch) gets them with the scaler.
        const embedding = result.embeddings?.[m];
        await Deno.writeTextFile(
          join(modelDir, RUN_FILES.scaler),
          JSON.stringify(embedding ? { ...result.scaler, embedding } : result.scaler),
        );
        model.dispose();
      }
      if (result.linear) {
        const dir = join(writer.dir, RUN_FILES.models, linearMemberName(result.name));
        await Deno.mkdir(dir, { recursive: true });
        await Deno.writeTextFile(
          join(dir, RUN_FILES.linear),
          JSON.stringify(linearMemberJson(result.linear)),
        );
      }
      results.push(result);
    };
    if (hooks.networksOf) await scoreStoredFolds(config, src, folds, hooks.networksOf, onFold);
    else await trainFolds(config, backend.product, src, folds, sink, hooks.onEpoch, onFold);
  } catch (err) {
    await writer.discard();
    throw err;
  } finally {
    backend.restore();
  }
  const summary = summarizeRun(
    runId,
    config.model,
    config.eval.protocol,
    plans.some((p) => p.leaky),
    results.map((r) => ({
      name: r.name,
      trainActors: r.trainActors,
      testActors: r.testActors,
      trainRows: r.trainRows,
      valRows: r.valRows,
      testRows: r.testRows,
      trainSeconds: r.trainSeconds,
      metrics: r.metrics,
      metrics7: r.metrics7,
    })),
  );
  summary.protocolText += corporaText(config, others) +
    normPolicy(config.eval.speakerNorm).protocolText + voiceBatchNormText(config) +
    ttaText(config) +
    linearText(config);
  if (hooks.networksOf) {
    summary.protocolText += `; scored with the networks ${basename(hooks.networksOf)} trained`;
  }
  const record = await buildRunRecord({
    runId,
    config,
    ...recordParts(config, plans, src),
    protocolText: summary.protocolText,
    leaky: summary.leaky,
    corpus: corpusEntry(corpus),
    otherCorpora: others.map((o) => ({
      name: o.corpus.corpus,
      role: o.role,
      root: o.corpus.root,
      clips: o.corpus.clips.length,
      manifestHash: o.corpus.manifestHash,
      features: { key: o.features.key, dir: o.features.dir },
      augmented: o.augmented ? { dir: o.augmented.dir, rows: o.augmented.rows.length } : null,
    })),
    features: { key: features.key, dir: features.dir },
    augmented: augmented.map((a) => ({ dir: a.dir, rows: a.rows.length })),
    git: await gitState(PROJECT_ROOT),
    runtime: {
      deno: Deno.version.deno,
      tfjs: tf.version.tfjs,
      backend: tf.getBackend(),
      gemm: gemm.name,
      networksAtOnce: parallel,
    },
  });
  const { createdAt } = record;
  await writer.writeJson(RUN_FILES.config, record);
  await writer.writeJson(RUN_FILES.metrics, summary);
  await writer.writeJson(RUN_FILES.history, {
    folds: results.map((r) => ({ name: r.name, epochs: r.history })),
  });
  await writer.writeText(RUN_FILES.confusion, confusionCsv(summary.primary.pooled));
  await writer.writeText(RUN_FILES.perClass, perClassCsv(summary.primary.pooled));
  await writer.writeText(
    RUN_FILES.predictions,
    (() => {
      const set = runLabelSet(config);
      const { rows, mixed } = predictionRows(src, results, set);
      return predictionsCsv(rows, set.classes, mixed);
    })(),
  );
  const history: RunHistory = {
    folds: results.map((r) => ({ name: r.name, epochs: r.history })),
  };
  const plotly = await sharePlotly(resultsDir);
  if (!plotly.ok) sink.write(`report: charts need plotly.js (${plotly.why}); tables only\n`);
  await writer.writeText(
    RUN_FILES.report,
    renderReport(summary, {
      configJson: JSON.stringify(record, null, 2),
      createdAt,
      corpus: [{ role: "own", corpus }, ...others].map((o) =>
        `${o.corpus.corpus}${
          o.role === "own" ? "" : ` (${o.role === "train" ? "trains too" : "test corpus"})`
        }: ${o.corpus.root} (${o.corpus.clips.length} clips, manifest ${
          o.corpus.manifestHash.slice(0, 12)
        })`
      ).join("; "),
      scripts: plotly.ok ? [[`../${PLOTLY_FILE}`, PLOTLY_FILE]] : [],
      extraSections: [`<h2>Charts</h2>\n${figuresHtml(runFigures(summary, history))}`],
    }),
  );
  const runDir = await writer.commit();
  return { runDir, summary, table: formatSummary(summary) };
}

/** The parts of the run record only the experiment knows: seeds, input, members, folds. */
function recordParts(config: RunConfig, plans: FoldPlan[], src: RowSource) {
  const kind = inputKindOf(config);
  const k = config.train.ensemble;
  return {
    seeds: {
      run: config.seed,
      folds: Object.fromEntries(plans.map((p, i) => [p.name, foldSeed(config.seed, i)])),
      models: Object.fromEntries(
        plans.flatMap((p, i) =>
          memberNames(p.name, k).map((n, m) => [n, memberSeed(foldSeed(config.seed, i), m)])
        ),
      ),
    },
    labels: [...runLabelSet(config).classes],
    input: { kind, ...inputShape(kind, src) },
    // What each network sees of the input (all of it unless `temporal.memberInputs` says).
    members: Object.fromEntries(
      plans.flatMap((p) =>
        memberNames(p.name, k).map((n, m) => {
          const part = memberInput(config, m);
          return [n, { input: part, channels: inputChannels(kind, part, src) }];
        })
      ),
    ),
    folds: plans.map((p) => ({
      name: p.name,
      models: memberNames(p.name, k),
      ...(linearMemberWeight(config) > 0 ? { linear: linearMemberName(p.name) } : {}),
      trainActors: p.trainActors,
      testActors: p.testActors,
      trainRows: p.train.length,
      valRows: p.val.length,
      testRows: p.test.length,
    })),
  };
}

/** The finished run for `config`: found under `resultsDir`, or trained now (features cached). */
export async function ensureRun(
  config: RunConfig,
  corpus: CorpusIndex,
  dirs: { cacheDir: string; resultsDir: string },
  sink: ProgressSink,
  hooks: ExperimentHooks = {},
): Promise<StoredRun & { reused: boolean }> {
  const found = await findRun(dirs.resultsDir, config);
  if (found) return { ...(await loadRun(found)), reused: true };
  const features = await featurizeCorpus(config, corpus, sink, dirs.cacheDir);
  const outcome = await runExperiment(config, features, corpus, sink, dirs.resultsDir, hooks);
  return { ...(await loadRun(outcome.runDir)), reused: false };
}

/** The configured network for this feature set, as table rows (built, described, disposed). */
export async function describeNetwork(
  config: RunConfig,
  features: FeatureSet,
): Promise<Record<string, string | number>[]> {
  const backend = await useTrainingBackend(chooseGemm("js", 1).gemm);
  try {
    // The first network's; with `temporal.memberInputs` the others may see other features.
    const { rowShape } = inputShape(memberInput(config, 0), rowSourceOf(features, []));
    const classes = runLabelSet(config).classes.length;
    const model = buildModel(config, rowShape, classes, config.seed);
    const rows = layerRows(model);
    model.dispose();
    return rows;
  } finally {
    backend.restore();
  }
}
