/**
 * One fold of an experiment: gather its rows, standardise with statistics of the training rows
 * only, train, predict the test rows, score. Pure (tfjs, no Deno APIs).
 */
import type * as tf from "@tensorflow/tfjs";
import type { RunConfig } from "../config/config.ts";
import { type ClipRecord, labelSet } from "../corpus/ravdess.ts";
import { buildSeedModel, buildTemporalModel } from "../model/networks.ts";
import { applyScaler, fitScaler, type Scaler } from "../model/scaler.ts";
import {
  type EpochRecord,
  predictProbabilities,
  type Samples,
  trainModel,
} from "../model/train.ts";
import {
  argmaxRows,
  confusionMatrix,
  mergeCalmIntoNeutral,
  type Metrics,
  metricsFromConfusion,
} from "./metrics.ts";
import type { FoldPlan, RowRef } from "./protocols.ts";
import { applyOnlineSpeakerNorm, applySpeakerScalers, fitSpeakerScalers } from "./speaker_norm.ts";
import { createRng } from "../util/random.ts";

/** Where rows come from: per-clip originals and the derived rows of augmented sets. */
export interface RowSource {
  clips: readonly ClipRecord[];
  seqFrames: number;
  original: { vectors: Float32Array; logmel: Float32Array; mfccDelta: Float32Array };
  vectorDim: number;
  logmelDim: number;
  mfccDeltaDim: number;
  augmented: readonly { vectors: Float32Array; logmel: Float32Array; mfccDelta: Float32Array }[];
}

export type InputKind = "vector" | "logmel" | "mfccDelta";

export function inputKindOf(config: RunConfig): InputKind {
  return config.model === "seed" ? "vector" : config.temporal.input;
}

/** Shape of one model input row, and the size of the feature axis the scaler works on. */
export function inputShape(
  kind: InputKind,
  src: Pick<RowSource, "seqFrames" | "vectorDim" | "logmelDim" | "mfccDeltaDim">,
): { rowShape: number[]; featureDim: number } {
  if (kind === "vector") return { rowShape: [src.vectorDim, 1], featureDim: src.vectorDim };
  const dim = kind === "logmel" ? src.logmelDim : src.mfccDeltaDim;
  return { rowShape: [src.seqFrames, dim], featureDim: dim };
}

export function gatherRows(
  src: RowSource,
  rows: readonly RowRef[],
  kind: InputKind,
  augmented: number,
): Float32Array {
  const { rowShape } = inputShape(kind, src);
  const size = rowShape[0] * rowShape[1];
  const key = kind === "vector" ? "vectors" : kind;
  const out = new Float32Array(rows.length * size);
  rows.forEach((r, i) => {
    const from = r.derived < 0 ? src.original[key] : src.augmented[augmented][key];
    const at = r.derived < 0 ? r.clip : r.derived;
    out.set(from.subarray(at * size, (at + 1) * size), i * size);
  });
  return out;
}

export function labelsOf(
  src: RowSource,
  rows: readonly RowRef[],
  labels: "8class" | "7class",
): Int32Array {
  const set = labelSet(labels);
  return Int32Array.from(rows, (r) => set.indexOf(src.clips[r.clip].emotion));
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
  /** Training time of all members together. */
  trainSeconds: number;
  /** Test clips' probabilities, row-major [testRows, classes], and their clip indices. */
  testProbabilities: Float32Array;
  testClips: number[];
  /** One network per ensemble member (`train.ensemble`); the test probabilities are their mean. */
  models: tf.LayersModel[];
  scaler: Scaler;
}

/** Member m's seed: the fold seed for the first, so `train.ensemble=1` is the single network. */
export const memberSeed = (foldSeed: number, member: number) => foldSeed + 100 * member;

/** Model folder names of a fold's members: the fold's own name, then `<fold>-m2`, `<fold>-m3`. */
export function memberNames(fold: string, members: number): string[] {
  return Array.from({ length: members }, (_, m) => (m === 0 ? fold : `${fold}-m${m + 1}`));
}

export interface FoldHooks {
  onEpoch?: (record: EpochRecord, member: number) => void | Promise<void>;
}

export function buildModel(
  config: RunConfig,
  rowShape: number[],
  classes: number,
  seed: number,
): tf.LayersModel {
  if (config.model === "seed") return buildSeedModel(rowShape[0], classes, seed);
  return buildTemporalModel(rowShape[0], rowShape[1], classes, config.temporal, seed);
}

export async function runFold(
  config: RunConfig,
  src: RowSource,
  plan: FoldPlan,
  seed: number,
  hooks: FoldHooks = {},
): Promise<FoldResult> {
  const kind = inputKindOf(config);
  const { rowShape, featureDim } = inputShape(kind, src);
  const classes = labelSet(config.eval.labels).classes.length;
  // Per-speaker statistics (declared in the protocol) for every actor this fold touches; the
  // online variant fits them for training actors only and meets test voices clip by clip.
  const norm = config.eval.speakerNorm;
  const statsRows = norm === "online" ? [...plan.train, ...plan.val] : [
    ...plan.train,
    ...plan.val,
    ...plan.test,
  ];
  const speakerScalers = norm === "none" ? null : fitSpeakerScalers(
    src.clips,
    statsRows.map((r) => src.clips[r.clip].actor),
    featureDim,
    (clips) => gatherRows(src, clips.map((clip) => ({ clip, derived: -1 })), kind, 0),
  );
  const gather = (rows: readonly RowRef[], testRows = false) => {
    const raw = gatherRows(src, rows, kind, plan.augmented);
    if (testRows && norm === "online") {
      return applyOnlineSpeakerNorm(src.clips, rows, raw, featureDim, createRng(seed + 7));
    }
    return speakerScalers ? applySpeakerScalers(speakerScalers, src.clips, rows, raw) : raw;
  };
  const rawTrain = gather(plan.train);
  const scaler = fitScaler(rawTrain, featureDim);
  const samples = (rows: readonly RowRef[], raw?: Float32Array, testRows = false): Samples => ({
    x: applyScaler(scaler, raw ?? gather(rows, testRows)),
    rowShape,
    labels: labelsOf(src, rows, config.eval.labels),
    classes,
  });
  const train = samples(plan.train, rawTrain);
  const val = plan.val.length ? samples(plan.val) : undefined;
  const test = samples(plan.test, undefined, true);
  const members = config.train.ensemble;
  const models: tf.LayersModel[] = [];
  let history: EpochRecord[] = [];
  const probs = new Float32Array(test.labels.length * classes);
  const start = performance.now();
  for (let m = 0; m < members; m++) {
    const model = buildModel(config, rowShape, classes, memberSeed(seed, m));
    const h = await trainModel(model, train, config.train, memberSeed(seed, m), {
      onEpoch: (e) => hooks.onEpoch?.(e, m),
      val,
    });
    if (m === 0) history = h;
    const p = predictProbabilities(model, test.x, rowShape);
    for (let i = 0; i < p.length; i++) probs[i] += p[i] / members;
    models.push(model);
  }
  const trainSeconds = (performance.now() - start) / 1000;
  const labelNames = [...labelSet(config.eval.labels).classes];
  const metrics = metricsFromConfusion(
    confusionMatrix(test.labels, argmaxRows(probs, classes), classes),
    labelNames,
  );
  let metrics7: Metrics | undefined;
  if (classes === 8) {
    const truth7 = labelsOf(src, plan.test, "7class");
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
    history,
    trainSeconds,
    testProbabilities: probs,
    testClips: plan.test.map((r) => r.clip),
    models,
    scaler,
  };
}
