/**
 * The run record: what a run folder's `config.json` holds, in one type, and the one way to read
 * it back (`completeRunRecord`: runs written before a setting or field existed get its "off"
 * value). Pure, no Deno APIs: the CLI, the notebooks and the live page in a browser all read runs
 * through here.
 */
import { completeStoredConfig, type RunConfig, type SpeakerNorm } from "../config/config.ts";
import type { PredictorInput } from "../model/predictor.ts";

/** The files of a run folder, `results/<run-id>/`. */
export const RUN_FILES = {
  config: "config.json",
  metrics: "metrics.json",
  history: "history.json",
  confusion: "confusion.csv",
  perClass: "per_class.csv",
  predictions: "predictions.csv",
  report: "report.html",
  models: "models",
  scaler: "scaler.json",
  linear: "linear.json",
} as const;

/** The model folder of a fold's linear member (`train.linearWeight`). */
export const linearMemberName = (fold: string) => `${fold}-linear`;

/** Files of one model under `models/<name>/` (a network's three; a linear member's one). */
export const MODEL_FILES = [
  "model.json",
  "weights.bin",
  RUN_FILES.scaler,
  RUN_FILES.linear,
] as const;

/** `2026-11-24T10-31-05Z-temporal-speaker`: sorts by time, says what ran. */
export function makeRunId(model: string, protocol: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, "Z").replace(/:/g, "-");
  return `${stamp}-${model}-${protocol}`;
}

export interface RunFold {
  name: string;
  /** The fold's networks (ensemble members), each a folder under `models/`. */
  models: string[];
  /** The fold's linear member's folder under `models/` (`train.linearWeight`), if it has one. */
  linear?: string;
  trainActors: number[];
  testActors: number[];
  trainRows?: number;
  valRows?: number;
  testRows?: number;
}

/** What one network sees of the run's input. */
export interface RunMember {
  input?: string;
  /** The feature columns `[from, to)` of each frame; absent: all of them. */
  channels?: [number, number];
}

export interface RunRecord {
  runId: string;
  createdAt: string;
  /** Every setting, completed with the meaning of settings added after the run was written. */
  config: RunConfig;
  configHash: string;
  resultHash: string;
  seeds: { run: number; folds: Record<string, number>; models: Record<string, number> };
  protocol: { name: string; text: string; speakerNorm: SpeakerNorm; leaky: boolean };
  labels: string[];
  input: { kind: PredictorInput; rowShape: number[]; featureDim?: number };
  members: Record<string, RunMember>;
  folds: RunFold[];
  /** `name` is absent in runs before other corpora (RAVDESS). */
  corpus: { name?: string; root: string; clips: number; manifestHash: string };
  /** The corpora of `data.trainAlso` and the cross-corpus test corpus (absent in older runs). */
  otherCorpora?: {
    name: string;
    role: "train" | "test";
    root: string;
    clips: number;
    manifestHash: string;
    features: { key: string; dir: string };
    augmented: { dir: string; rows: number } | null;
  }[];
  features: { key: string; dir: string };
  augmented: { dir: string; rows: number }[];
  git: { commit: string | null; dirty: boolean | null };
  runtime: Record<string, unknown>;
}

/** The models of a run in fold order, each with the columns it sees. */
export function runModels(record: RunRecord): { name: string; channels?: [number, number] }[] {
  return record.folds.flatMap((f) =>
    f.models.map((name) => ({ name, channels: record.members[name]?.channels }))
  );
}

/**
 * A parsed `config.json` as a complete `RunRecord`, or an error naming `source` when it is not a
 * run record at all. Older runs are completed here, once, for every reader: folds without
 * `models` had one network named after the fold; settings added since take their "off" value.
 */
export function completeRunRecord(raw: unknown, source: string): RunRecord {
  const r = raw as Partial<RunRecord> & Record<string, unknown>;
  const missing = ["config", "labels", "input", "folds"].filter((k) => r?.[k] === undefined);
  if (typeof raw !== "object" || raw === null || missing.length) {
    throw new Error(
      `${source}: not a run record (no ${missing.join(", ") || "content"}); ` +
        `is this a run folder written by deno task reproduce?`,
    );
  }
  const config = completeStoredConfig(r.config as RunConfig);
  const folds = (r.folds as Partial<RunFold>[]).map((f) => ({
    ...f,
    name: f.name ?? "",
    models: f.models ?? [f.name ?? ""],
    trainActors: f.trainActors ?? [],
    testActors: f.testActors ?? [],
  }));
  const protocol = r.protocol as Partial<RunRecord["protocol"]> | undefined;
  return {
    ...(r as RunRecord),
    runId: r.runId ?? "",
    createdAt: r.createdAt ?? "",
    config,
    folds,
    members: r.members ?? {},
    protocol: {
      name: protocol?.name ?? config.eval.protocol,
      text: protocol?.text ?? config.eval.protocol,
      speakerNorm: config.eval.speakerNorm,
      leaky: protocol?.leaky ?? config.eval.protocol === "seed-leaky",
    },
  };
}

/** One line per finished run, for the live page's run list. */
export interface RunListing {
  id: string;
  model: string;
  protocol: string;
  speakerNorm: string;
  accuracy: number | null;
  folds: number;
  createdAt: string;
}
