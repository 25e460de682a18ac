/**
 * Loading a trained run over HTTP (what the live page does): its config, metrics, and each
 * fold's tfjs model and scaler. Uses only web APIs (`fetch`, tfjs's HTTP loader), so it is not
 * tied to Deno.
 */
import * as tf from "@tensorflow/tfjs";
// Saved networks may hold attention pooling: its class must be registered before loading.
import "../model/attention_pool.ts";
import "../model/std_pool.ts";
import "../model/squeeze_excite.ts";
import type { RunConfig } from "../config/config.ts";
import type { Predictor } from "../model/predictor.ts";
import { parseScaler } from "../normalise/scaler.ts";
import type { RunSummary } from "../eval/summary.ts";
import { completeRunRecord, RUN_FILES } from "../run/record.ts";
import { predictorFromRecord } from "../run/predictor.ts";

export interface RemoteRun {
  runId: string;
  config: RunConfig;
  protocolText: string;
  corpus: { name?: string; clips: number; root: string };
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
  const record = completeRunRecord(
    await getJson(`${base}/${RUN_FILES.config}`),
    `${base}/${RUN_FILES.config}`,
  );
  const summary = await getJson<RunSummary>(`${base}/${RUN_FILES.metrics}`).catch(() => null);
  const predictor = await predictorFromRecord(
    record,
    async (name) => {
      const dir = `${base}/${RUN_FILES.models}/${encodeURIComponent(name)}`;
      const model = await tf.loadLayersModel(`${dir}/model.json`);
      const scaler = parseScaler(await getJson(`${dir}/${RUN_FILES.scaler}`), `${dir}/scaler.json`);
      return { model, scaler };
    },
    `${base}/${RUN_FILES.models}`,
    (name) =>
      getJson(`${base}/${RUN_FILES.models}/${encodeURIComponent(name)}/${RUN_FILES.linear}`),
  );
  return {
    runId: record.runId,
    config: record.config,
    protocolText: record.protocol.text,
    corpus: record.corpus,
    labels: record.labels,
    folds: record.folds,
    summary,
    predictor,
  };
}
