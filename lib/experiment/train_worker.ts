/// <reference lib="deno.worker" />
/**
 * Training worker (Deno-only): trains one ensemble member of one fold at a time with its own
 * tfjs backend and BLAS handle, reporting every epoch, and sends back the trained weights and
 * the test probabilities. Several of these train side by side, one network each.
 */
import type { EmbeddingStats } from "../model/voice_batch_norm.ts";
import * as tf from "@tensorflow/tfjs";
import { chooseGemm } from "../model/blas_ffi.ts";
import { type TrainingBackend, useTrainingBackend } from "../model/backend.ts";
import { type MemberJob, trainMember } from "./members.ts";
import type { EpochRecord } from "../model/train.ts";
import type { Gemm, GemmMode } from "../model/gemm.ts";
import { type HelperLink, serveHelper } from "../model/split_gemm.ts";

export type TrainRequest =
  | { kind: "init"; gemm: GemmMode; threads: number; kernels: "fused" | "stock"; link: HelperLink }
  | { kind: "job"; index: number; job: MemberJob }
  /** No job left for this worker: compute half of the large products of the one on `link`. */
  | { kind: "help"; link: HelperLink };

/** A model as `tf.io.fromMemory` takes it back. */
export interface ModelArtifactsMessage {
  modelTopology: tf.io.ModelArtifacts["modelTopology"];
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

export type TrainReply =
  | { kind: "epoch"; index: number; record: EpochRecord }
  /** Part of the current epoch done (0..1), sent at most once a second. */
  | { kind: "progress"; index: number; fraction: number }
  | {
    kind: "done";
    index: number;
    history: EpochRecord[];
    probabilities: Float32Array;
    trainSeconds: number;
    model: ModelArtifactsMessage;
    embedding?: EmbeddingStats;
  }
  | { kind: "error"; index: number; message: string };

let ready: Promise<TrainingBackend> | null = null;
let gemm: Gemm | null = null;

self.onmessage = async (ev: MessageEvent<TrainRequest>) => {
  const msg = ev.data;
  if (msg.kind === "init") {
    gemm = chooseGemm(msg.gemm, msg.threads).gemm;
    ready = useTrainingBackend(gemm, { kernels: msg.kernels, link: msg.link });
    return;
  }
  if (msg.kind === "help") {
    // Blocks this worker until the served network has finished (`releaseHelper`).
    serveHelper(msg.link, gemm!);
    return;
  }
  try {
    const backend = await ready!;
    let lastProgress = performance.now();
    const trained = await trainMember(msg.job, backend.product, (record) => {
      self.postMessage({ kind: "epoch", index: msg.index, record } as TrainReply);
    }, (batch, batches) => {
      const now = performance.now();
      if (now - lastProgress < 1000 || batch === batches) return;
      lastProgress = now;
      self.postMessage(
        { kind: "progress", index: msg.index, fraction: batch / batches } as TrainReply,
      );
    });
    let model: ModelArtifactsMessage | null = null;
    await trained.model.save(tf.io.withSaveHandler((artifacts) => {
      const data = artifacts.weightData;
      model = {
        modelTopology: artifacts.modelTopology,
        weightSpecs: artifacts.weightSpecs ?? [],
        weightData: Array.isArray(data)
          ? new tf.io.CompositeArrayBuffer(data).slice()
          : (data as ArrayBuffer),
      };
      return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) });
    }));
    trained.model.dispose();
    const reply: TrainReply = {
      kind: "done",
      index: msg.index,
      history: trained.history,
      probabilities: trained.probabilities,
      trainSeconds: trained.trainSeconds,
      model: model!,
      embedding: trained.embedding,
    };
    self.postMessage(reply, {
      transfer: [trained.probabilities.buffer, model!.weightData] as ArrayBuffer[],
    });
  } catch (err) {
    self.postMessage(
      {
        kind: "error",
        index: msg.index,
        message: (err as Error).stack ?? String(err),
      } as TrainReply,
    );
  }
};
