/**
 * One fold of an experiment: where its rows come from and what inputs they make, gather and
 * standardise them with statistics of the training rows only, and score the test rows from the
 * members' probabilities (`members.ts` trains them). Pure (tfjs, no Deno APIs).
 */
import type * as tf from "@tensorflow/tfjs";
import type { RunConfig } from "../config/config.ts";
import {
  concatFrames,
  inputChannels as channelsOf,
  type InputKind,
  inputParts,
  inputShape as shapeOf,
  type SequenceName,
} from "../schema/inputs.ts";
import { removeClipLevel } from "../normalise/level.ts";
import {
  clipBatchNormApplies,
  clipLevelLayout,
  normPolicy,
  perClipColumns,
  voiceBatchNormApplies,
  voiceEmbeddingNormApplies,
} from "../normalise/policy.ts";
import type { ClipWindows, FeatureDims, FeatureRows } from "../features/rows.ts";
import type { TrainedMember } from "./members.ts";
import { type ClipRecord, type LabelSet, labelSet } from "../schema/corpus.ts";
import { labelSetOf, reportsSevenClasses, sharedLabelSet } from "../corpus/corpora.ts";

/**
 * The classes `config`'s run trains on: its corpus's (and `eval.labels` for RAVDESS), cut to
 * those the test corpus has too under the cross-corpus protocol.
 */
export function runLabelSet(config: RunConfig): LabelSet {
  const own = labelSetOf(config.data.corpus, config.eval.labels, config.data.ownLabels);
  const other = config.data.testCorpus;
  return config.eval.protocol === "cross-corpus" && other ? sharedLabelSet(own, other) : own;
}
import { applyScaler, fitScaler, type Scaler } from "../normalise/scaler.ts";
import type { EpochRecord, Samples } from "../model/train.ts";
import type { EmbeddingStats, VoiceRows } from "../model/voice_batch_norm.ts";
import {
  argmaxRows,
  confusionMatrix,
  mergeCalmIntoNeutral,
  type Metrics,
  metricsFromConfusion,
} from "../eval/metrics.ts";
import { type FoldPlan, type RowRef, voiceRowsOf } from "./splits.ts";
import {
  applyOnlineSpeakerNorm,
  applyRowScalers,
  applySpeakerScalers,
  fitGroupScalers,
  fitSpeakerScalers,
  normalizeEachRow,
} from "../normalise/speaker.ts";
import { createRng } from "../util/random.ts";
import { blendWithLinear, type LinearMember } from "../model/linear_member.ts";

/** Where rows come from: per-clip originals and the derived rows of augmented sets. */
export interface RowSource {
  clips: readonly ClipRecord[];
  /** The shape of every row below. */
  dims: FeatureDims;
  /** Row i is clip i's original recording. */
  original: FeatureRows;
  augmented: readonly FeatureRows[];
  /** Each augmented set's recipe row (`noise`, `pitch@3`, ...) per derived row. */
  derivedRecipeRows?: readonly (readonly string[])[];
  /** Later windows of long clips, scored with their clip's first (absent: one window each). */
  windows?: ClipWindows;
  /** Test-time variants of clips (`eval.tta`), scored with their clip (absent: none). */
  variants?: ClipWindows;
}

/** Anything that knows the shape of the feature rows. */
export type HasDims = { dims: FeatureDims };

export type { InputKind };

export function inputKindOf(config: RunConfig): InputKind {
  return config.model === "seed" ? "vector" : config.temporal.input;
}

/** Shape of one model input row, and the size of the feature axis the scaler works on. */
export function inputShape(
  kind: InputKind,
  { dims }: HasDims,
): { rowShape: number[]; featureDim: number } {
  return shapeOf(kind, dims);
}

/** The feature columns `[from, to)` of the run's input `whole` that make up `part`. */
export function inputChannels(whole: InputKind, part: InputKind, src: HasDims): [number, number] {
  return channelsOf(whole, part, src.dims);
}

export function gatherRows(
  src: RowSource,
  rows: readonly RowRef[],
  kind: InputKind,
  augmented: number,
): Float32Array {
  if (kind !== "vector" && inputParts(kind).length > 1) {
    const [first, ...rest] = inputParts(kind);
    let x = gatherRows(src, rows, first, augmented);
    let dim = src.dims[first];
    for (const p of rest) {
      x = concatFrames(x, dim, gatherRows(src, rows, p, augmented), src.dims[p]);
      dim += src.dims[p];
    }
    return x;
  }
  const { rowShape } = inputShape(kind, src);
  const size = rowShape[0] * rowShape[1];
  const key = kind === "vector" ? "vectors" : (kind as SequenceName);
  const out = new Float32Array(rows.length * size);
  rows.forEach((r, i) => {
    const from = r.window !== undefined
      ? src.windows!.rows[key]
      : r.variant !== undefined
      ? src.variants!.rows[key]
      : r.derived < 0
      ? src.original[key]
      : src.augmented[augmented][key];
    const at = r.window ?? r.variant ?? (r.derived < 0 ? r.clip : r.derived);
    out.set(from.subarray(at * size, (at + 1) * size), i * size);
  });
  return out;
}

/**
 * `gatherRows`, with each row's level taken from itself where the run's normalisation says so
 * (`eval.speakerNorm=per-clip-prosody-level`): the clip's features as every stage reads them.
 */
export function gatherClipRows(
  config: RunConfig,
  src: RowSource,
  rows: readonly RowRef[],
  kind: InputKind,
  augmented: number,
): Float32Array {
  const raw = gatherRows(src, rows, kind, augmented);
  const level = clipLevelLayout(config.eval.speakerNorm, kind, config.features);
  return level ? removeClipLevel(raw, rows.length, inputShape(kind, src).featureDim, level) : raw;
}

export function labelsOf(src: RowSource, rows: readonly RowRef[], set: LabelSet): Int32Array {
  return Int32Array.from(rows, (r) => {
    const clip = src.clips[r.clip];
    const k = set.indexOf(clip.emotion);
    if (k < 0) throw new Error(`${clip.relPath}: ${clip.emotion} is not one of ${set.classes}`);
    return k;
  });
}

/**
 * Each row's speaker, numbered in order of first appearance (what a speaker adversary tells
 * apart), and how many speakers the rows hold.
 */
export function speakersOf(
  src: RowSource,
  rows: readonly RowRef[],
): { speakers: Int32Array; speakerCount: number } {
  const index = new Map<number, number>();
  const speakers = Int32Array.from(rows, (r) => {
    const actor = src.clips[r.clip].actor;
    let k = index.get(actor);
    if (k === undefined) index.set(actor, k = index.size);
    return k;
  });
  return { speakers, speakerCount: index.size };
}

export interface FoldResult {
  name: string;
  protocol: string;
  leaky: boolean;
  trainActors: number[];
  testActors: number[];
  trainRows: number;
  valRows: number;
  testRows: number;
  /** Metrics on the label set the model was trained on. */
  metrics: Metrics;
  /** 7-class metrics of an 8-class model (calm's probability added to neutral's). */
  metrics7?: Metrics;
  /** The first member's epochs (every member trains the same schedule on the same rows). */
  history: EpochRecord[];
  /** Training seconds of all members added up (they may have trained side by side). */
  trainSeconds: number;
  /** Test clips' probabilities, row-major [testRows, classes], and their clip indices. */
  testProbabilities: Float32Array;
  testClips: number[];
  /** One network per ensemble member (`train.ensemble`); the test probabilities are their mean. */
  models: tf.LayersModel[];
  scaler: Scaler;
  /** The fold's linear member (`train.linearWeight`), when the run has one. */
  linear?: LinearMember;
  /** Each member's training voices' embedding statistics (`eval.voiceEmbeddingNorm`), if any. */
  embeddings?: (EmbeddingStats | undefined)[];
}

/** A fold ready to train: standardised rows and everything needed to score it afterwards. */
export interface PreparedFold {
  plan: FoldPlan;
  seed: number;
  rowShape: number[];
  classes: number;
  train: Samples;
  val?: Samples;
  /** The rows `test` holds: the plan's test clips, then the later windows of those clips. */
  testRows: RowRef[];
  test: Samples;
  scaler: Scaler;
  /**
   * Each test voice's rows of `test` (`eval.voiceBatchNorm`, where it applies): its networks'
   * batch-norm statistics come from the voice's recordings as made, as its input scaler's do.
   */
  testVoices?: VoiceRows[];
  /**
   * Each training voice's original recordings among `train`'s rows (`eval.voiceEmbeddingNorm`,
   * where it applies): the voices whose pooled embeddings test voices are mapped onto.
   */
  trainVoices?: VoiceRows[];
}

/**
 * The plan's test rows and, after them, every later window of the same clips and every
 * test-time variant of them: the rows a clip's probabilities are averaged over.
 */
export function withLaterWindows(src: RowSource, test: readonly RowRef[]): RowRef[] {
  const clips = new Set(test.filter((r) => r.derived < 0).map((r) => r.clip));
  const later: RowRef[] = [];
  src.windows?.clip.forEach((clip, w) => {
    if (clips.has(clip)) later.push({ clip, derived: -1, window: w });
  });
  src.variants?.clip.forEach((clip, v) => {
    if (clips.has(clip)) later.push({ clip, derived: -1, variant: v });
  });
  return [...test, ...later];
}

/** Gathers, speaker-normalises (as the protocol declares) and standardises a fold's rows. */
export function prepareFold(
  config: RunConfig,
  src: RowSource,
  plan: FoldPlan,
  seed: number,
): PreparedFold {
  const kind = inputKindOf(config);
  const { rowShape, featureDim } = inputShape(kind, src);
  const classes = runLabelSet(config).classes.length;
  // Per-speaker statistics (declared in the protocol) for every actor this fold touches; the
  // online variant fits them for training actors only and meets test voices clip by clip.
  const norm = normPolicy(config.eval.speakerNorm);
  const statsRows = norm.voice === "online" ? [...plan.train, ...plan.val] : [
    ...plan.train,
    ...plan.val,
    ...plan.test,
  ];
  const speakerScalers = norm.voice === "none" ? null : fitSpeakerScalers(
    src.clips,
    statsRows.map((r) => src.clips[r.clip].actor),
    featureDim,
    (clips) => gatherRows(src, clips.map((clip) => ({ clip, derived: -1 })), kind, 0),
  );
  const ownColumns = kind === "vector" ? undefined : perClipColumns(norm.name, kind, featureDim);
  const gather = (rows: readonly RowRef[], testRows = false) => {
    const raw = gatherClipRows(config, src, rows, kind, plan.augmented);
    if (ownColumns) return normalizeEachRow(raw, rows.length, featureDim, ownColumns);
    if (testRows && norm.voice === "online") {
      return applyOnlineSpeakerNorm(src.clips, rows, raw, featureDim, createRng(seed + 7));
    }
    if (!speakerScalers) return raw;
    if (!config.eval.augmentedAsVoices) {
      return applySpeakerScalers(speakerScalers, src.clips, rows, raw);
    }
    return applyRowScalers(
      scalersAsVoices(src, rows, raw, featureDim, plan.augmented, speakerScalers),
      raw,
    );
  };
  const testRows = plan.leaky ? [...plan.test] : withLaterWindows(src, plan.test);
  const rawTrain = gather(plan.train);
  const scaler = fitScaler(rawTrain, featureDim);
  const samples = (rows: readonly RowRef[], raw?: Float32Array, testRows = false): Samples => ({
    x: applyScaler(scaler, raw ?? gather(rows, testRows)),
    rowShape,
    labels: labelsOf(src, rows, runLabelSet(config)),
    classes,
  });
  return {
    plan,
    seed,
    rowShape,
    classes,
    train: { ...samples(plan.train, rawTrain), ...speakersOf(src, plan.train) },
    val: plan.val.length ? samples(plan.val) : undefined,
    testRows,
    test: samples(testRows, undefined, true),
    scaler,
    testVoices: voiceBatchNormApplies(config)
      ? voiceRowsOf(testRows, (clip) => src.clips[clip].actor)
      : clipBatchNormApplies(config)
      // Strict: each clip is a voice of its own, the training statistics its prior.
      ? voiceRowsOf(testRows, (clip) => clip).map((v) => ({
        ...v,
        prior: config.eval.clipBatchNorm,
      }))
      : undefined,
    trainVoices: voiceEmbeddingNormApplies(config)
      ? voiceRowsOf(plan.train, (clip) => src.clips[clip].actor).map((v) => ({
        stats: v.stats,
        rows: v.stats,
      }))
      : undefined,
  };
}

/**
 * Each row's scaler when every recipe row of a voice counts as a voice of its own
 * (`eval.augmentedAsVoices`): originals (and windows, variants) with their actor's statistics,
 * derived rows with those of their actor's rows of the same recipe row among `rows`, the way a
 * test voice is z-scored with its own.
 */
function scalersAsVoices(
  src: RowSource,
  rows: readonly RowRef[],
  raw: Float32Array,
  featureDim: number,
  augmented: number,
  speakerScalers: ReadonlyMap<number, Scaler>,
): Scaler[] {
  const names = src.derivedRecipeRows?.[augmented];
  const actorOf = (r: RowRef) => src.clips[r.clip].actor;
  const keys = rows.map((r) => {
    if (r.derived < 0) return undefined;
    if (!names) {
      throw new Error("eval.augmentedAsVoices: the derived rows' recipe rows are unknown");
    }
    return `${actorOf(r)}/${names[r.derived]}`;
  });
  const groups = fitGroupScalers(keys, raw, featureDim);
  return rows.map((r, i) => {
    const scaler = keys[i] !== undefined ? groups.get(keys[i]!) : speakerScalers.get(actorOf(r));
    if (!scaler) throw new Error(`speaker normalisation: no statistics for actor ${actorOf(r)}`);
    return scaler;
  });
}

/**
 * One row of probabilities per test row of the plan: the mean over that clip's windows (its
 * first, which the plan names, and any later ones `rows` holds after the plan's rows).
 */
export function perClipMean(
  rowProbs: Float32Array,
  rows: readonly RowRef[],
  planTest: readonly RowRef[],
  classes: number,
): Float32Array {
  if (rows.length === planTest.length) return rowProbs;
  const out = rowProbs.slice(0, planTest.length * classes);
  const count = new Float32Array(planTest.length).fill(1);
  const rowOfClip = new Map(planTest.map((r, i) => [r.clip, i] as const));
  for (let i = planTest.length; i < rows.length; i++) {
    const j = rowOfClip.get(rows[i].clip)!;
    for (let c = 0; c < classes; c++) out[j * classes + c] += rowProbs[i * classes + c];
    count[j]++;
  }
  for (let j = 0; j < planTest.length; j++) {
    for (let c = 0; c < classes; c++) out[j * classes + c] /= count[j];
  }
  return out;
}

/**
 * Scores a fold from its members, averaged in member order (so a run's numbers do not depend
 * on which member finished first), and with the fold's linear member at its weight when there
 * is one (`experiment/linear.ts`).
 */
export function finishFold(
  config: RunConfig,
  src: RowSource,
  fold: PreparedFold,
  members: readonly TrainedMember[],
  linear?: { member: LinearMember; rowProbabilities: Float32Array },
): FoldResult {
  const { plan, classes, testRows } = fold;
  let rowProbs: Float32Array = new Float32Array(testRows.length * classes);
  for (const member of members) {
    const p = member.probabilities;
    for (let i = 0; i < p.length; i++) rowProbs[i] += p[i] / members.length;
  }
  if (linear) rowProbs = blendWithLinear(rowProbs, linear.rowProbabilities, linear.member.weight);
  const probs = perClipMean(rowProbs, testRows, plan.test, classes);
  const labelNames = [...runLabelSet(config).classes];
  const truth = labelsOf(src, plan.test, runLabelSet(config));
  const metrics = metricsFromConfusion(
    confusionMatrix(truth, argmaxRows(probs, classes), classes),
    labelNames,
  );
  let metrics7: Metrics | undefined;
  if (reportsSevenClasses(config.data.corpus, classes)) {
    const truth7 = labelsOf(src, plan.test, labelSet("7class"));
    metrics7 = metricsFromConfusion(
      confusionMatrix(truth7, argmaxRows(mergeCalmIntoNeutral(probs), 7), 7),
      [...labelSet("7class").classes],
    );
  }
  return {
    name: plan.name,
    protocol: plan.protocol,
    leaky: plan.leaky,
    trainActors: plan.trainActors,
    testActors: plan.testActors,
    trainRows: plan.train.length,
    valRows: plan.val.length,
    testRows: plan.test.length,
    metrics,
    metrics7,
    history: members[0].history,
    trainSeconds: members.reduce((t, m) => t + m.trainSeconds, 0),
    testProbabilities: probs,
    testClips: plan.test.map((r) => r.clip),
    models: members.map((m) => m.model),
    scaler: fold.scaler,
    linear: linear?.member,
    embeddings: members.some((m) => m.embedding) ? members.map((m) => m.embedding) : undefined,
  };
}
