/// <reference lib="deno.worker" />
/**
 * Feature worker (Deno-only): reads clips and returns their features. The main thread hands out
 * one clip at a time, so a slow clip never holds up a whole batch.
 */
import type { AudioConfig, FeatureConfig } from "../config/config.ts";
import { type ClipFeaturizer, createClipFeaturizer } from "../features/clip.ts";
import { rowBuffers, type RowFeatures, rowFeaturesOf } from "../features/rows.ts";
import { openFileSource } from "../audio/read_file.ts";

export type WorkerRequest =
  | { kind: "init"; audio: AudioConfig; features: FeatureConfig }
  | { kind: "clip"; index: number; path: string };

export type WorkerReply =
  | {
    kind: "clip";
    index: number;
    features: RowFeatures;
    /** Later windows of a clip longer than one (`audio.windowHopS`). */
    windows: RowFeatures[];
    nativeSampleRateHz: number;
    nativeChannels: number;
    nativeDurationS: number;
  }
  | { kind: "error"; index: number; message: string };

let featurizer: ClipFeaturizer | null = null;

self.onmessage = (ev: MessageEvent<WorkerRequest>) => {
  const msg = ev.data;
  if (msg.kind === "init") {
    featurizer = createClipFeaturizer(msg.audio, msg.features);
    return;
  }
  try {
    // Read by position: a long recording in a corpus costs its window, not the whole file.
    const src = openFileSource(msg.path);
    let f;
    try {
      f = featurizer!.featurize(src, msg.path);
    } finally {
      src.close();
    }
    const reply: WorkerReply = {
      kind: "clip",
      index: msg.index,
      features: rowFeaturesOf(f),
      windows: f.windows.map(rowFeaturesOf),
      nativeSampleRateHz: f.nativeSampleRateHz,
      nativeChannels: f.nativeChannels,
      nativeDurationS: f.nativeDurationS,
    };
    self.postMessage(reply, {
      transfer: [reply.features, ...reply.windows].flatMap(rowBuffers),
    });
  } catch (err) {
    self.postMessage(
      { kind: "error", index: msg.index, message: (err as Error).message } as WorkerReply,
    );
  }
};
