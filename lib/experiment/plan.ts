/**
 * The experiment's plan (Deno only): which clips train, validate and test in each fold, for each
 * protocol, and from which corpora. Every split decision lives here and in `splits.ts`: speaker
 * folds or explicit actor lists (`speaker`), all of the run's corpus against another corpus
 * (`cross-corpus`), a stratified file split (`random`), the leaky classic (`seed-leaky`), and
 * `data.trainAlso` corpora added to every fold's training side.
 */
import { dirname } from "node:path";
import { audioFor, dataFor, type RunConfig, validateConfig } from "../config/config.ts";
import type { CorpusName } from "../schema/corpus.ts";
import type { ClipRecord } from "../schema/corpus.ts";
import { openConfiguredCorpus } from "../corpus/locate.ts";
import type { CorpusIndex } from "../corpus/index_fs.ts";
import { keepLabelled, mixCorpora } from "./mix.ts";
import {
  actorsOf,
  type FoldPlan,
  leakyPlan,
  randomPlan,
  speakerPlans,
  type SpeakerSplit,
  splitsFromConfig,
} from "./splits.ts";
import { type RowSource, runLabelSet } from "./fold.ts";
import { type FeatureSet, featurizeCorpus } from "../pipeline/featurize.ts";
import { type AugmentedSet, augmentForSplits } from "../pipeline/augment.ts";
import type { ProgressSink } from "../util/progress.ts";
import type { ClipWindows } from "../features/rows.ts";

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
      const variants = await testTimeVariants(config, features, corpus.root, sink);
      return {
        plans: speakerPlans(clips, splits, augmented, keepOriginals),
        augmented,
        src: rowSourceOf(features, augmented, variants),
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
      derivedRecipeRows: mixed.augmented.map((a) => a.rows.map((r) => r.row)),
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
  const variants = await testTimeVariants(config, features, corpus.root, sink);
  return { plans: [plan], augmented, src: rowSourceOf(features, augmented, variants), others };
}

/**
 * The test-time variants of every clip (`eval.tta`), made by the augmentation pipeline and cached
 * as its rows are; undefined when the config asks for none. They are only ever scored (a plan's
 * training rows come from the per-split sets), so every actor's clips are varied.
 */
async function testTimeVariants(
  config: RunConfig,
  features: FeatureSet,
  corpusRoot: string,
  sink: ProgressSink,
): Promise<ClipWindows | undefined> {
  if (!config.eval.tta.length) return undefined;
  const varied = { ...config, augment: { ...config.augment, recipe: config.eval.tta } };
  const split: SpeakerSplit = {
    name: "test-time variants",
    trainActors: actorsOf(features.clips),
    testActors: [],
    valActors: [],
  };
  const [set] = await augmentForSplits(varied, features, corpusRoot, [split], sink);
  return { clip: Int32Array.from(set.rows, (r) => r.clipIndex), rows: set.features };
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

export function rowSourceOf(
  features: FeatureSet,
  augmented: readonly AugmentedSet[],
  variants?: ClipWindows,
): RowSource {
  return {
    clips: features.clips,
    dims: features.rows.dims,
    original: features.rows,
    augmented: augmented.map((a) => a.features),
    derivedRecipeRows: augmented.map((a) => a.rows.map((r) => r.row)),
    windows: features.windows,
    variants,
  };
}

/**
 * The config a corpus of your own completes: its labels (`data.ownLabels`, found when it was
 * indexed), and, where its manifest has a `split` column, the speakers it puts on the test and
 * validation sides (`split.testActors` and `valActors`) unless the command line names them.
 */
export function configForCorpus(config: RunConfig, corpus: CorpusIndex): RunConfig {
  if (!corpus.labels) return config;
  const out = structuredClone(config);
  out.data.ownLabels = [...corpus.labels];
  const sides = corpus.splitOf;
  if (sides && !config.split.testActors.length) {
    const on = (side: string) =>
      Object.entries(sides).filter(([, s]) => s === side).map(([a]) => Number(a));
    out.split.testActors = on("test");
    out.split.valActors = on("val");
    if (!out.split.testActors.length) {
      throw new Error(`${corpus.root}: the manifest's split column puts no speaker in test`);
    }
  }
  validateConfig(out);
  return out;
}
