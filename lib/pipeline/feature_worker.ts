/// <reference lib="deno.worker" />
/**
 * Feature worker (Deno-only): reads clips and returns their features. The main thread hands out
 * one clip at a time, so a slow clip never holds up a whole batch.
 */
import type { AudioConfig, FeatureConfig } from "../config/config.ts";
import { type ClipFeaturizer, createClipFeaturizer } from "../features/clip.ts";

export type WorkerRequest =
  | { kind: "init"; audio: AudioConfig; features: FeatureConfig }
  | { kind: "clip"; index: number; path: string };

export type WorkerReply =
  | {
    kind: "clip";
    index: number;
    vector: Float32Array;
    logmel: Float32Array;
    mfccDelta: Float32Array;
    validFrames: number;
    nativeSampleRateHz: number;
    nativeChannels: number;
    nativeDurationS: number;
  }
  | { kind: "error"; index: number; message: string };

let featurizer: ClipFeaturizer | null = null;

self.onmessage = async (ev: MessageEvent<WorkerRequest>) => {
  const msg = ev.data;
  if (msg.kind === "init") {
    featurizer = createClipFeaturizer(msg.audio, msg.features);
    return;
  }
  try {
    const bytes = await Deno.readFile(msg.path);
    const f = featurizer!.featurize(bytes, msg.path);
    const reply: WorkerReply = {
      kind: "clip",
      index: msg.index,
      vector: f.vector,
      logmel: f.sequence.logmel,
      mfccDelta: f.sequence.mfccDelta,
      validFrames: f.sequence.validFrames,
      nativeSampleRateHz: f.nativeSampleRateHz,
      nativeChannels: f.nativeChannels,
      nativeDurationS: f.nativeDurationS,
    };
    self.postMessage(reply, {
      transfer: [reply.vector.buffer, reply.logmel.buffer, reply.mfccDelta.buffer] as ArrayBuffer[],
    });
  } catch (err) {
    self.postMessage(
      { kind: "error", index: msg.index, message: (err as Error).message } as WorkerReply,
    );
  }
};
