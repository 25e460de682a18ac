/**
 * A run's record (`config.json`) assembled from what the experiment computed: its hashes, the
 * time, and the parts (seeds, protocol, input, members, folds, corpora, caches, code). Pure but
 * for the hashes (Web Crypto); the caller supplies the git state.
 */
import { configHash, resultHash, type RunConfig } from "../config/config.ts";
import type { RunRecord } from "./record.ts";

export interface RunRecordParts {
  runId: string;
  config: RunConfig;
  seeds: RunRecord["seeds"];
  protocolText: string;
  leaky: boolean;
  labels: string[];
  input: RunRecord["input"];
  members: RunRecord["members"];
  folds: RunRecord["folds"];
  corpus: RunRecord["corpus"];
  otherCorpora: NonNullable<RunRecord["otherCorpora"]>;
  features: RunRecord["features"];
  augmented: RunRecord["augmented"];
  git: RunRecord["git"];
  runtime: RunRecord["runtime"];
  /** When the run was made (now by default). */
  createdAt?: Date;
}

/** What a run's `config.json` holds: everything needed to read, reuse and reproduce it. */
export async function buildRunRecord(p: RunRecordParts): Promise<RunRecord> {
  const { config } = p;
  return {
    runId: p.runId,
    createdAt: (p.createdAt ?? new Date()).toISOString(),
    config,
    configHash: await configHash(config),
    resultHash: await resultHash(config),
    seeds: p.seeds,
    protocol: {
      name: config.eval.protocol,
      text: p.protocolText,
      speakerNorm: config.eval.speakerNorm,
      leaky: p.leaky,
    },
    labels: p.labels,
    input: p.input,
    members: p.members,
    folds: p.folds,
    corpus: p.corpus,
    otherCorpora: p.otherCorpora,
    features: p.features,
    augmented: p.augmented,
    git: p.git,
    runtime: p.runtime,
  };
}
