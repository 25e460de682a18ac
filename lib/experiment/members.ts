/**
 * The networks of a fold (ensemble members): their seeds, names and inputs, the job one trains
 * on, and the training itself, in whichever thread calls it. Pure (tfjs, no Deno APIs); the
 * pool that trains several at once is `train.ts`.
 */
import type * as tf from "@tensorflow/tfjs";
import type { RunConfig } from "../config/config.ts";
import { selectChannels } from "../schema/inputs.ts";
import type { Gemm } from "../model/gemm.ts";
import { buildSeedModel, buildTemporalModel } from "../model/networks.ts";
import {
  type EmbeddingStats,
  trainingEmbeddingStats,
  voiceAdaptedProbabilities,
  type VoiceRows,
} from "../model/voice_batch_norm.ts";
import {
  type EpochRecord,
  predictProbabilities,
  type Samples,
  trainModel,
} from "../model/train.ts";
import {
  type HasDims,
  inputChannels,
  type InputKind,
  inputKindOf,
  type PreparedFold,
} from "./fold.ts";

/** What ensemble member `member` sees: the config's `memberInputs` in turn, else `input`. */
export function memberInput(config: RunConfig, member: number): InputKind {
  if (config.model === "seed") return "vector";
  const parts = config.temporal.memberInputs;
  return parts.length ? parts[member % parts.length] : config.temporal.input;
}

/** Member m's seed: the fold seed for the first, so `train.ensemble=1` is the single network. */
export const memberSeed = (foldSeed: number, member: number) => foldSeed + 100 * member;

/** Model folder names of a fold's members: the fold's own name, then `<fold>-m2`, `<fold>-m3`. */
export function memberNames(fold: string, members: number): string[] {
  return Array.from({ length: members }, (_, m) => (m === 0 ? fold : `${fold}-m${m + 1}`));
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

/** One ensemble member of one fold: what a trainer (in process or in a worker) needs. */
export interface MemberJob {
  config: RunConfig;
  rowShape: number[];
  classes: number;
  seed: number;
  train: Samples;
  val?: Samples;
  testX: Float32Array;
  /** Each test voice's rows of `testX`, where batch norm takes a voice's statistics. */
  testVoices?: VoiceRows[];
  /**
   * Each training voice's original rows of `train`, where test voices' pooled embeddings are
   * mapped onto the training voices' (`eval.voiceEmbeddingNorm`).
   */
  trainVoices?: VoiceRows[];
}

/** What training one member gives back. */
export interface TrainedMember {
  model: tf.LayersModel;
  history: EpochRecord[];
  /** Test probabilities, row-major [testRows, classes]. */
  probabilities: Float32Array;
  trainSeconds: number;
  /** Its training voices' embedding statistics, where the run maps test voices onto them. */
  embedding?: EmbeddingStats;
}

/**
 * The training job of member `member` (seed `memberSeed(fold seed, member)`), on its view of
 * the fold's rows (`memberInput`).
 */
export function memberJob(
  config: RunConfig,
  src: HasDims,
  fold: PreparedFold,
  member: number,
): MemberJob {
  const view = memberView(config, src, fold, member);
  const train = view(fold.train);
  return {
    config,
    rowShape: train.rowShape,
    classes: fold.classes,
    seed: memberSeed(fold.seed, member),
    train,
    val: fold.val && view(fold.val),
    testX: view(fold.test).x,
    testVoices: fold.testVoices,
    trainVoices: fold.trainVoices,
  };
}

/** Member `member`'s view of a fold's samples: the columns of its input (`memberInput`). */
export function memberView(
  config: RunConfig,
  src: HasDims,
  fold: PreparedFold,
  member: number,
): (s: Samples) => Samples {
  const width = fold.rowShape[fold.rowShape.length - 1];
  const channels = inputChannels(inputKindOf(config), memberInput(config, member), src);
  return (s) => ({
    ...s,
    x: selectChannels(s.x, width, channels),
    rowShape: [...s.rowShape.slice(0, -1), channels[1] - channels[0]],
  });
}

/**
 * A trained network's probabilities for a fold's test rows: with each voice's own batch-norm
 * statistics where `voices` are given (`eval.voiceBatchNorm`), else the training set's.
 */
export function testProbabilities(
  model: tf.LayersModel,
  x: Float32Array,
  rowShape: readonly number[],
  voices?: readonly VoiceRows[],
  training?: EmbeddingStats,
): Float32Array {
  return voices
    ? voiceAdaptedProbabilities(model, x, rowShape, voices, training)
    : predictProbabilities(model, x, rowShape);
}

/**
 * Builds, trains and applies one network, in whichever thread calls it; the static engine's
 * products go through `gemm` (the tfjs engine's through the backend's kernels).
 */
export async function trainMember(
  job: MemberJob,
  gemm: Gemm,
  onEpoch?: (record: EpochRecord) => void | Promise<void>,
  onBatch?: (batch: number, batches: number) => void,
): Promise<TrainedMember> {
  const start = performance.now();
  const model = buildModel(job.config, job.rowShape, job.classes, job.seed);
  const history = await trainModel(model, job.train, job.config.train, job.seed, {
    onEpoch,
    onBatch,
    val: job.val,
    gemm,
  });
  const trainSeconds = (performance.now() - start) / 1000;
  const embedding = job.trainVoices
    ? trainingEmbeddingStats(model, job.train.x, job.rowShape, job.trainVoices)
    : undefined;
  const probabilities = testProbabilities(
    model,
    job.testX,
    job.rowShape,
    job.testVoices,
    embedding,
  );
  return { model, history, probabilities, trainSeconds, embedding };
}
