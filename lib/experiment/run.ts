/**
 * The experiment after featurize/augment (Deno only): build the protocol's row plans, train the
 * networks of every fold (several at once, in workers), score them, and write the run folder.
 * `deno task reproduce` calls this.
 */
import * as tf from "@tensorflow/tfjs";
import { dirname, join } from "node:path";
import { audioFor, configHash, dataFor, resultHash, type RunConfig } from "../config/config.ts";
import type { CorpusName } from "../corpus/corpora.ts";
import type { ClipRecord } from "../corpus/ravdess.ts";
import { openConfiguredCorpus } from "../corpus/locate.ts";
import { keepLabelled, mixCorpora } from "./mix.ts";
import type { CorpusIndex } from "../corpus/index_fs.ts";
import type { LabelSet } from "../corpus/ravdess.ts";
import {
  actorsOf,
  type FoldPlan,
  leakyPlan,
  randomPlan,
  SPEAKER_NORM_TEXT,
  speakerPlans,
  type SpeakerSplit,
  splitsFromConfig,
} from "./splits.ts";
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
import {
  confusionCsv,
  formatSummary,
  perClassCsv,
  type RunSummary,
  summarizeRun,
} from "../eval/summary.ts";
import { renderReport } from "../eval/report.ts";
import { chooseGemm } from "../model/blas_ffi.ts";
import { useTrainingBackend } from "../model/backend.ts";
import { saveModel } from "../model/io_fs.ts";
import { layerRows } from "../model/networks.ts";
import { createRunWriter, findRun, gitState, loadRun, type StoredRun } from "../run/store.ts";
import { makeRunId, RUN_FILES, type RunRecord } from "../run/record.ts";
import { copyPlotly, PLOTLY_FILE } from "../plots/plotly_fs.ts";
import { featurizeCorpus } from "../pipeline/featurize.ts";
import { type AugmentedSet, augmentForSplits } from "../pipeline/augment.ts";
import type { FeatureSet } from "../pipeline/featurize.ts";
import type { ProgressSink } from "../util/progress.ts";
import { PROJECT_ROOT } from "../util/project.ts";
import { defaultWorkerCount } from "../pipeline/pool.ts";
import type { RunHistory } from "../eval/summary.ts";
import { figuresHtml, runFigures } from "../plots/figures.ts";

/** Called after every epoch of every fold (a notebook draws live training curves with it). */
export interface ExperimentHooks {
  /** `member` counts ensemble members (0 for a single network). */
  onEpoch?: MemberEpochHook;
}

export interface ExperimentOutcome {
  runDir: string;
  summary: RunSummary;
  table: string;
}

/** Another corpus a run reads: one that trains too (`data.trainAlso`) or the test corpus. */
export interface OtherCorpus {
  role: "train" | "test";
  corpus: CorpusIndex;
  features: FeatureSet;
  /** Its derived rows (all its speakers), when it trains. */
  augmented?: AugmentedSet;
}

export interface ExperimentPlan {
  plans: FoldPlan[];
  /** The run's own corpus's derived rows, one set per plan. */
  augmented: AugmentedSet[];
  /** Where every plan's rows come from (all corpora, speakers namespaced, when there are more). */
  src: RowSource;
  others: OtherCorpus[];
}

/** Augmented rows and row plans for the configured protocol. */
export async function planExperiment(
  config: RunConfig,
  features: FeatureSet,
  corpus: CorpusIndex,
  sink: ProgressSink,
): Promise<ExperimentPlan> {
  const keepOriginals = config.augment.recipe.includes("original");
  const clips = features.clips;
  const { protocol } = config.eval;
  const others = await openOtherCorpora(config, dirname(features.dir), sink);
  const allOf = (name: string, records: readonly ClipRecord[]): SpeakerSplit => ({
    name,
    trainActors: actorsOf(records),
    testActors: [],
    valActors: [],
  });
  if (protocol === "speaker" || protocol === "cross-corpus") {
    const splits = protocol === "speaker"
      ? splitsFromConfig(clips, config.split)
      : [allOf(`${config.data.corpus}-to-${config.data.testCorpus}`, clips)];
    const augmented = await augmentForSplits(config, features, corpus.root, splits, sink);
    if (!others.length) {
      return {
        plans: speakerPlans(clips, splits, augmented, keepOriginals),
        augmented,
        src: rowSourceOf(features, augmented),
        others,
      };
    }
    for (const o of others.filter((o) => o.role === "train")) {
      const name = o.corpus.corpus;
      [o.augmented] = await augmentForSplits(
        audioFor(config, name),
        o.features,
        o.corpus.root,
        [allOf(`all-of-${name}`, o.features.clips)],
        sink,
      );
    }
    const mixed = mixCorpora([
      { name: config.data.corpus, ...features, augmented },
      ...others.map((o) => ({
        name: o.corpus.corpus,
        ...o.features,
        augmented: o.augmented ? [o.augmented] : undefined,
      })),
    ], splits.length);
    const actorsOfRole = (role: OtherCorpus["role"]) =>
      actorsOf(
        mixed.clips.filter((c) =>
          others.some((o) => o.role === role && o.corpus.corpus === c.corpus)
        ),
      );
    const alsoTrain = actorsOfRole("train");
    const mixedSplits = splits.map((s) => ({
      ...s,
      trainActors: [...s.trainActors, ...alsoTrain],
      testActors: protocol === "cross-corpus" ? actorsOfRole("test") : s.testActors,
    }));
    const set = runLabelSet(config);
    const plans = speakerPlans(mixed.clips, mixedSplits, mixed.augmented, keepOriginals)
      .map((p) => keepLabelled(p, mixed.clips, set));
    const src: RowSource = {
      clips: mixed.clips,
      dims: features.rows.dims,
      original: mixed.rows,
      augmented: mixed.augmented.map((a) => a.features),
      windows: mixed.windows,
    };
    return { plans, augmented, src, others };
  }
  // random and seed-leaky augment every file; the random plan then uses only the rows of its
  // training files, seed-leaky uses them all (that is the leak it exists to show).
  const augmented = await augmentForSplits(
    config,
    features,
    corpus.root,
    [allOf("all-clips", clips)],
    sink,
  );
  const f = config.eval.testFraction;
  const plan = protocol === "random"
    ? randomPlan(clips, augmented[0], f, config.seed, keepOriginals)
    : leakyPlan(clips, augmented[0], f, config.seed, keepOriginals);
  return { plans: [plan], augmented, src: rowSourceOf(features, augmented), others };
}

/** What the protocol text adds about the other corpora a run reads. */
export function corporaText(config: RunConfig, others: readonly OtherCorpus[]): string {
  const also = others.filter((o) => o.role === "train").map((o) => o.corpus.corpus);
  const test = others.find((o) => o.role === "test")?.corpus.corpus;
  const set = runLabelSet(config).classes;
  let text = "";
  if (test) {
    text += `; trained on every speaker of ${[config.data.corpus, ...also].join(" + ")}, ` +
      `tested on every clip of ${test} with one of the ${set.length} emotions they share ` +
      `(${set.join(", ")})`;
  } else if (also.length) {
    text += `; every fold also trains on all of ${
      also.join(" + ")
    } (its clips of the run's ${set.length} emotions; its speakers never test)`;
  }
  return text;
}

/** The corpora of `data.trainAlso` and the cross-corpus test corpus, found and featurized. */
async function openOtherCorpora(
  config: RunConfig,
  cacheRoot: string,
  sink: ProgressSink,
): Promise<OtherCorpus[]> {
  const wanted: [CorpusName, OtherCorpus["role"]][] = config.data.trainAlso.map((
    n,
  ) => [n, "train"]);
  if (config.eval.protocol === "cross-corpus") {
    wanted.push([config.data.testCorpus as CorpusName, "test"]);
  }
  const out: OtherCorpus[] = [];
  for (const [name, role] of wanted) {
    const corpus = await openConfiguredCorpus(dataFor(config.data, name), sink, cacheRoot);
    const features = await featurizeCorpus(audioFor(config, name), corpus, sink, cacheRoot);
    out.push({ role, corpus, features });
  }
  return out;
}

export function rowSourceOf(features: FeatureSet, augmented: readonly AugmentedSet[]): RowSource {
  return {
    clips: features.clips,
    dims: features.rows.dims,
    original: features.rows,
    augmented: augmented.map((a) => a.features),
    windows: features.windows,
  };
}

export const foldSeed = (seed: number, fold: number) => seed + 1000 * fold;

function predictionsCsv(src: RowSource, results: FoldResult[], set: LabelSet): string {
  const labels = set.classes;
  const k = labels.length;
  const mixed = src.clips.some((c) => c.corpus !== src.clips[0].corpus);
  const lines = [
    [
      "clip",
      ...(mixed ? ["corpus"] : []),
      "actor",
      "fold",
      "true",
      "predicted",
      ...labels.map((l) => `p_${l}`),
    ].join(","),
  ];
  for (const r of results) {
    r.testClips.forEach((clip, i) => {
      const p = Array.from(r.testProbabilities.subarray(i * k, (i + 1) * k));
      const best = p.indexOf(Math.max(...p));
      const c = src.clips[clip];
      lines.push(
        [
          c.id,
          ...(mixed ? [c.corpus ?? "ravdess"] : []),
          c.actor,
          r.name,
          set.classes[set.indexOf(c.emotion)],
          labels[best],
          ...p.map((v) => v.toFixed(5)),
        ]
          .join(","),
      );
    });
  }
  return lines.join("\n") + "\n";
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
    await trainFolds(config, backend.product, src, folds, sink, hooks.onEpoch, async (result) => {
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
        await Deno.writeTextFile(join(modelDir, RUN_FILES.scaler), JSON.stringify(result.scaler));
        model.dispose();
      }
      results.push(result);
    });
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
  summary.protocolText += corporaText(config, others) + SPEAKER_NORM_TEXT[config.eval.speakerNorm];
  const record = await buildRunRecord({
    runId,
    config,
    plans,
    src,
    protocolText: summary.protocolText,
    leaky: summary.leaky,
    corpus,
    features,
    augmented,
    others,
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
    predictionsCsv(src, results, runLabelSet(config)),
  );
  const history: RunHistory = {
    folds: results.map((r) => ({ name: r.name, epochs: r.history })),
  };
  const plotly = await copyPlotly(writer.dir);
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
      scripts: plotly.ok ? [PLOTLY_FILE] : [],
      extraSections: [`<h2>Charts</h2>\n${figuresHtml(runFigures(summary, history))}`],
    }),
  );
  const runDir = await writer.commit();
  return { runDir, summary, table: formatSummary(summary) };
}

/** What a run's `config.json` holds: everything needed to read, reuse and reproduce it. */
export async function buildRunRecord(r: {
  runId: string;
  config: RunConfig;
  plans: FoldPlan[];
  src: RowSource;
  protocolText: string;
  leaky: boolean;
  corpus: CorpusIndex;
  features: FeatureSet;
  augmented: AugmentedSet[];
  others?: OtherCorpus[];
  runtime: Record<string, unknown>;
}): Promise<RunRecord> {
  const { config, plans, src } = r;
  const kind = inputKindOf(config);
  const k = config.train.ensemble;
  return {
    runId: r.runId,
    createdAt: new Date().toISOString(),
    config,
    configHash: await configHash(config),
    resultHash: await resultHash(config),
    seeds: {
      run: config.seed,
      folds: Object.fromEntries(plans.map((p, i) => [p.name, foldSeed(config.seed, i)])),
      models: Object.fromEntries(
        plans.flatMap((p, i) =>
          memberNames(p.name, k).map((n, m) => [n, memberSeed(foldSeed(config.seed, i), m)])
        ),
      ),
    },
    protocol: {
      name: config.eval.protocol,
      text: r.protocolText,
      speakerNorm: config.eval.speakerNorm,
      leaky: r.leaky,
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
      trainActors: p.trainActors,
      testActors: p.testActors,
      trainRows: p.train.length,
      valRows: p.val.length,
      testRows: p.test.length,
    })),
    corpus: {
      name: r.corpus.corpus,
      root: r.corpus.root,
      clips: r.corpus.clips.length,
      manifestHash: r.corpus.manifestHash,
    },
    otherCorpora: (r.others ?? []).map((o) => ({
      name: o.corpus.corpus,
      role: o.role,
      root: o.corpus.root,
      clips: o.corpus.clips.length,
      manifestHash: o.corpus.manifestHash,
      features: { key: o.features.key, dir: o.features.dir },
      augmented: o.augmented ? { dir: o.augmented.dir, rows: o.augmented.rows.length } : null,
    })),
    features: { key: r.features.key, dir: r.features.dir },
    augmented: r.augmented.map((a) => ({ dir: a.dir, rows: a.rows.length })),
    git: await gitState(PROJECT_ROOT),
    runtime: r.runtime,
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
