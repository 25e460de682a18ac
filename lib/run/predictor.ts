/**
 * A trained run as a `Predictor`, from its record and a way to load one model: files on disk
 * (`store.ts`) or HTTP (the live page's `remote_run.ts`). Built here once for both. Pure.
 */
import type * as tf from "@tensorflow/tfjs";
import type { Predictor } from "../model/predictor.ts";
import { linearMemberWeight, type RunConfig } from "../config/config.ts";
import { createFeatureExtractor, type FeatureExtractor } from "../features/extract.ts";
import type { Scaler } from "../normalise/scaler.ts";
import {
  clipBatchNormApplies,
  clipLevelLayout,
  perClipColumns,
  voiceBatchNormApplies,
} from "../normalise/policy.ts";
import { RUN_FILES, runModels, type RunRecord } from "./record.ts";
import { type LinearMember, parseLinearMember } from "../model/linear_member.ts";
import { parseEmbeddingStats } from "../model/voice_batch_norm.ts";
import { testTimeVariants } from "../augment/recipe.ts";

/** One model of a run, loaded: its network and the scaler of its training rows. */
export interface LoadedMember {
  model: tf.LayersModel;
  scaler: Scaler;
}

/**
 * Every model the record lists, loaded in fold order by `load`, as one predictor; each fold's
 * linear member (`train.linearWeight`) by `loadLinear`, which gets its folder's name and
 * returns its `linear.json`, parsed.
 */
export async function predictorFromRecord(
  record: RunRecord,
  load: (name: string) => Promise<LoadedMember>,
  where: string,
  loadLinear?: (name: string) => Promise<unknown>,
): Promise<Predictor> {
  const members: Predictor["members"] = [];
  for (const { name, channels } of runModels(record)) {
    const loaded = await load(name);
    // Training voices' embedding statistics ride in the member's scaler.json (voiceEmbeddingNorm).
    const stored = (loaded.scaler as { embedding?: unknown }).embedding;
    const embedding = stored === undefined
      ? undefined
      : parseEmbeddingStats(stored, `${where}/${name}/${RUN_FILES.scaler}`);
    members.push({ name, ...loaded, channels, ...(embedding ? { embedding } : {}) });
  }
  if (!members.length) throw new Error(`${where}: no trained models`);
  let linear: LinearMember[] | undefined;
  if (linearMemberWeight(record.config) > 0) {
    linear = [];
    for (const fold of record.folds) {
      if (!fold.linear || !loadLinear) {
        throw new Error(
          `${where}: the run averages a linear member into its networks ` +
            `(train.linearWeight=${record.config.train.linearWeight}) but ${fold.name}'s is ` +
            `${fold.linear ? "not readable here" : "not listed"}`,
        );
      }
      const source = `${where}/${fold.linear}/${RUN_FILES.linear}`;
      linear.push(parseLinearMember(await loadLinear(fold.linear), source));
    }
  }
  const clipLevel = clipLevelLayout(
    record.config.eval.speakerNorm,
    record.input.kind,
    record.config.features,
  );
  return {
    labels: record.labels,
    input: record.input.kind,
    rowShape: record.input.rowShape,
    members,
    perClip: perClipColumns(
      record.config.eval.speakerNorm,
      record.input.kind,
      record.input.rowShape.at(-1)!,
    ),
    ...(clipLevel ? { clipLevel } : {}),
    ...(linear ? { linear } : {}),
    ...(voiceBatchNormApplies(record.config) ? { voiceBatchNorm: true } : {}),
    ...(clipBatchNormApplies(record.config)
      ? { clipBatchNorm: record.config.eval.clipBatchNorm }
      : {}),
  };
}

/** A trained run ready to classify: its predictor, config, feature extractor and folder. */
export interface RunModel {
  predictor: Predictor;
  config: RunConfig;
  extractor: FeatureExtractor;
  dir: string;
  /**
   * The test-time variants of a window of audio the run's evaluation scored beside it
   * (`eval.tta`; none: an empty list): a window's probabilities are the mean over all of them.
   */
  variants: (y: Float32Array) => Float32Array[];
}

export function runModelOf(predictor: Predictor, config: RunConfig, dir: string): RunModel {
  const a = config.audio;
  return {
    predictor,
    config,
    extractor: createFeatureExtractor(config.features, a.sampleRateHz, a.durationS),
    dir,
    variants: testTimeVariants(config.eval.tta, a.sampleRateHz, config.augment, config.seed),
  };
}
