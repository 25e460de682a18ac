/**
 * Views of a feature set for people: its layout as a table, one vector column grouped by
 * emotion, one clip's log-mel sequence as a plottable matrix. Pure.
 */
import type { FeatureConfig } from "../config/config.ts";
import type { FeatureSet } from "../pipeline/featurize.ts";
import type { SpectrogramItem } from "../plots/signal_figures.ts";
import { CLIP_VECTOR_LAYOUT } from "../features/extract.ts";
import { type FeatureDims, sequenceOf } from "../features/rows.ts";

/** The parts of a cached feature set these views read. */
export type FeatureMatrix = Pick<FeatureSet, "clips" | "rows">;

const MEANING: Record<string, string> = {
  zcr: "zero-crossing rate, time-averaged",
  chroma: "chroma (12 pitch classes, tuning-corrected), time-averaged",
  mfcc: "MFCC 0-19 (from the dB mel spectrogram), time-averaged",
  rms: "RMS energy, time-averaged",
  mel: "mel power spectrogram (128 bands), time-averaged",
};

/** Where each block of the clip vector sits, then the two frame sequences. */
export function featureLayoutRows(
  f: FeatureConfig,
  set: { rows: { dims: FeatureDims } },
): Record<string, string | number>[] {
  const { dims } = set.rows;
  let at = 0;
  const rows: Record<string, string | number>[] = CLIP_VECTOR_LAYOUT(f).map((b) => {
    const row = {
      feature: b.name,
      shape: String(b.size),
      "vector indices": b.size === 1 ? String(at) : `${at}-${at + b.size - 1}`,
      meaning: MEANING[b.name],
    };
    at += b.size;
    return row;
  });
  rows.push(
    {
      feature: "logmel sequence",
      shape: `${dims.frames} x ${dims.logmel}`,
      "vector indices": "",
      meaning: "log-mel frames (dB), the temporal model's input",
    },
    {
      feature: "mfccDelta sequence",
      shape: `${dims.frames} x ${dims.mfccDelta}`,
      "vector indices": "",
      meaning: "MFCC + delta + delta-delta frames",
    },
    {
      feature: "prosody sequence",
      shape: `${dims.frames} x ${dims.prosody}`,
      "vector indices": "",
      meaning: "pitch (YIN), periodicity, voicing, HNR, loudness, ZCR, flux, tilt, deltas",
    },
  );
  return rows;
}

/** The index of a named vector value: `("mfcc", 1)` is MFCC 1, `("rms")` the RMS mean. */
export function vectorIndex(f: FeatureConfig, block: string, offset = 0): number {
  let at = 0;
  for (const b of CLIP_VECTOR_LAYOUT(f)) {
    if (b.name === block) {
      if (offset < 0 || offset >= b.size) {
        throw new Error(`${block} has ${b.size} values; ${offset} is out of range`);
      }
      return at + offset;
    }
    at += b.size;
  }
  throw new Error(`no block ${block} in the clip vector`);
}

/** One vector column's values, grouped by emotion in the order given. */
export function columnByEmotion(
  set: FeatureMatrix,
  index: number,
  emotions: readonly string[],
): { name: string; values: number[] }[] {
  return emotions.map((e) => ({
    name: e,
    values: set.clips.flatMap((c, i) =>
      c.emotion === e ? [set.rows.vectors[i * set.rows.dims.vector + index]] : []
    ),
  }));
}

/** One clip's cached log-mel sequence as a plottable item. */
export function logmelItem(
  set: FeatureMatrix,
  clipIndex: number,
  hopS: number,
): SpectrogramItem {
  return {
    label: set.clips[clipIndex].id,
    db: sequenceOf(set.rows, "logmel", clipIndex),
    frames: set.rows.dims.frames,
    bins: set.rows.dims.logmel,
    hopS,
  };
}
