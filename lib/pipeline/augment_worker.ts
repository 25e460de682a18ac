/// <reference lib="deno.worker" />
/**
 * Augmentation worker (Deno-only): loads a training clip, makes its derived recipe rows and
 * returns their features.
 */
import type { AudioConfig, AugmentConfig, FeatureConfig } from "../config/config.ts";
import {
  assertFiniteFeatures,
  type ClipFeaturizer,
  createClipFeaturizer,
} from "../features/clip.ts";
import { applyRow, derivedRows, type RecipeRow, rowRng } from "../augment/recipe.ts";
import { loadAudio } from "../audio/load.ts";
import { rowBuffers, type RowFeatures, rowFeaturesOf } from "../features/rows.ts";

export type AugmentRequest =
  | {
    kind: "init";
    audio: AudioConfig;
    features: FeatureConfig;
    augment: AugmentConfig;
    seed: number;
  }
  | { kind: "clip"; index: number; path: string; clipId: string };

export type AugmentReply =
  | {
    kind: "clip";
    index: number;
    /** One entry per derived recipe row, in recipe order. */
    rows: RowFeatures[];
  }
  | { kind: "error"; index: number; message: string };

let state:
  | { featurizer: ClipFeaturizer; rows: RecipeRow[]; augment: AugmentConfig; seed: number }
  | null = null;

self.onmessage = async (ev: MessageEvent<AugmentRequest>) => {
  const msg = ev.data;
  if (msg.kind === "init") {
    state = {
      featurizer: createClipFeaturizer(msg.audio, msg.features),
      rows: derivedRows(msg.augment.recipe),
      augment: msg.augment,
      seed: msg.seed,
    };
    return;
  }
  try {
    const { featurizer, rows, augment, seed } = state!;
    const clip = loadAudio(await Deno.readFile(msg.path), featurizer.audio, msg.path);
    const out = rows.map((row) => {
      const y = applyRow(
        clip.samples,
        row,
        clip.sampleRateHz,
        augment,
        rowRng(seed, msg.clipId, row.name),
      );
      return rowFeaturesOf(assertFiniteFeatures(
        featurizer.extractor.extract(y),
        `${msg.path} (augmented row ${row.name})`,
      ));
    });
    const transfer = out.flatMap(rowBuffers);
    self.postMessage({ kind: "clip", index: msg.index, rows: out } satisfies AugmentReply, {
      transfer,
    });
  } catch (err) {
    self.postMessage(
      { kind: "error", index: msg.index, message: (err as Error).message } satisfies AugmentReply,
    );
  }
};
