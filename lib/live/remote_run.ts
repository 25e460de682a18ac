/**
 * Loading a trained run over HTTP (what the live page does): its config, metrics, and each
 * fold's tfjs model and scaler. Uses only web APIs (`fetch`, tfjs's HTTP loader), so it is not
 * tied to Deno.
 */
import * as tf from "@tensorflow/tfjs";
import type { RunConfig } from "../config/config.ts";
import { type Predictor, type PredictorInput, recordedChannels } from "../model/predictor.ts";
import { parseScaler } from "../model/scaler.ts";
import type { RunSummary } from "../eval/summary.ts";

export interface RemoteRun {
  runId: string;
  config: RunConfig;
  protocolText: string;
  corpus: { clips: number; root: string };
  labels: string[];
  folds: { name: string; trainActors: number[]; testActors: number[] }[];
  summary: RunSummary | null;
  predictor: Predictor;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return await res.json() as T;
}

/** `base` is the run's URL folder, e.g. `/runs/2026-11-24T11-35-11Z-temporal-speaker`. */
export async function fetchRun(base: string): Promise<RemoteRun> {
  const meta = await getJson<{
    runId: string;
    config: RunConfig;
    labels: string[];
    input: { kind: PredictorInput; rowShape: number[] };
    /** What each network sees of the input (absent in runs before `temporal.memberInputs`). */
    members?: Record<string, { channels?: [number, number] }>;
    /** `models` lists a fold's ensemble members (absent in runs before `train.ensemble`). */
    folds: { name: string; models?: string[]; trainActors: number[]; testActors: number[] }[];
    protocol?: { text: string };
    corpus: { clips: number; root: string };
  }>(`${base}/config.json`);
  const summary = await getJson<RunSummary>(`${base}/metrics.json`).catch(() => null);
  const members: Predictor["members"] = [];
  for (const name of meta.folds.flatMap((f) => f.models ?? [f.name])) {
    const dir = `${base}/models/${encodeURIComponent(name)}`;
    const model = await tf.loadLayersModel(`${dir}/model.json`);
    const scaler = parseScaler(await getJson(`${dir}/scaler.json`), `${dir}/scaler.json`);
    members.push({ name, model, scaler, channels: recordedChannels(meta, name) });
  }
  return {
    runId: meta.runId,
    config: meta.config,
    protocolText: meta.protocol?.text ?? summary?.protocolText ?? meta.config.eval.protocol,
    corpus: meta.corpus,
    labels: meta.labels,
    folds: meta.folds,
    summary,
    predictor: {
      labels: meta.labels,
      input: meta.input.kind,
      rowShape: meta.input.rowShape,
      members,
    },
  };
}
