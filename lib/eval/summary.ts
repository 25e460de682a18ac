/**
 * What a run reports: per-fold metrics, their mean and spread, and the pooled confusion matrix,
 * with the protocol named in every summary. Pure.
 */
import { speakerLabel } from "../corpus/corpora.ts";
import type { Protocol } from "../config/config.ts";
import type { EpochRecord } from "../model/train.ts";
import {
  addConfusions,
  meanStd,
  type Metrics,
  metricsFromConfusion,
  type Spread,
} from "./metrics.ts";

/** What each evaluation protocol means, written into every run's summary and report. */
export const PROTOCOL_TEXT: Record<Protocol, string> = {
  "speaker":
    "speaker-independent: test actors never seen in training (neither their clips nor rows derived from them)",
  "random":
    "random file split, stratified by emotion; only training files are augmented (speakers overlap)",
  "cross-corpus":
    "cross-corpus: trained on one corpus (or more), tested on another; no test speaker, recording or corpus seen in training",
  "seed-leaky":
    "LEAKY: every file augmented, then rows split at random, so versions of one recording sit on both sides",
};

export interface FoldSummary {
  name: string;
  trainActors: number[];
  testActors: number[];
  trainRows: number;
  valRows: number;
  testRows: number;
  trainSeconds: number;
  metrics: Metrics;
  metrics7?: Metrics;
}

export interface LabelSetSummary {
  labels: string[];
  accuracy: Spread;
  uar: Spread;
  macroF1: Spread;
  /** Metrics of all folds' test rows together (confusions summed). */
  pooled: Metrics;
}

export interface RunSummary {
  runId: string;
  model: string;
  protocol: Protocol;
  protocolText: string;
  leaky: boolean;
  folds: FoldSummary[];
  /** On the label set the model trained on. */
  primary: LabelSetSummary;
  /** 7 classes from an 8-class model (calm merged into neutral), when it trained on 8. */
  merged7?: LabelSetSummary;
}

export interface RunHistory {
  folds: { name: string; epochs: EpochRecord[] }[];
}

function labelSetSummary(metrics: Metrics[]): LabelSetSummary {
  const pooled = metrics.map((m) => m.confusion).reduce(addConfusions);
  return {
    labels: metrics[0].labels,
    accuracy: meanStd(metrics.map((m) => m.accuracy)),
    uar: meanStd(metrics.map((m) => m.uar)),
    macroF1: meanStd(metrics.map((m) => m.macroF1)),
    pooled: metricsFromConfusion(pooled, metrics[0].labels),
  };
}

export function summarizeRun(
  runId: string,
  model: string,
  protocol: Protocol,
  leaky: boolean,
  folds: FoldSummary[],
): RunSummary {
  if (!folds.length) throw new Error("summary: no folds");
  const has7 = folds.every((f) => f.metrics7);
  return {
    runId,
    model,
    protocol,
    protocolText: PROTOCOL_TEXT[protocol],
    leaky,
    folds,
    primary: labelSetSummary(folds.map((f) => f.metrics)),
    merged7: has7 ? labelSetSummary(folds.map((f) => f.metrics7!)) : undefined,
  };
}

const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
const spread = (s: Spread) =>
  s.values.length > 1 ? `${pct(s.mean)} ± ${(100 * s.std).toFixed(1)}` : pct(s.mean);

/**
 * A fold's test speakers for tables: their numbers (speaker protocol), the test corpus and how
 * many (cross-corpus), or "mixed" where speakers are on both sides.
 */
export function testSpeakersText(protocol: string, actors: readonly number[], sep = ","): string {
  if (protocol === "speaker") return actors.join(sep);
  if (protocol === "cross-corpus") {
    const corpora = [...new Set(actors.map((a) => speakerLabel(a).split(" ")[0]))];
    return `all ${actors.length} of ${corpora.join("+")}`;
  }
  return "mixed";
}

/** The plain-text results table `deno task reproduce` prints. */
export function formatSummary(s: RunSummary): string {
  const lines: string[] = [];
  const flag = s.leaky ? "  [LEAKY: not an estimate of accuracy on new recordings]" : "";
  lines.push(`protocol  ${s.protocol}: ${s.protocolText}${flag}`);
  lines.push(`model     ${s.model}`);
  lines.push("");
  // Columns as wide as their widest cell: fold names like test-21-22-23-24 never run on.
  const actorsOf = (f: RunSummary["folds"][number]) => testSpeakersText(s.protocol, f.testActors);
  const nameW = Math.max(4, ...s.folds.map((f) => f.name.length)) + 2;
  const actorsW = Math.max(11, ...s.folds.map((f) => actorsOf(f).length)) + 2;
  lines.push(
    `${"fold".padEnd(nameW)}${"test actors".padEnd(actorsW)}${"train".padStart(7)}${
      "test".padStart(6)
    }` +
      `${"acc".padStart(9)}${"UAR".padStart(9)}${"macroF1".padStart(9)}${"acc7".padStart(9)}${
        "train s".padStart(9)
      }`,
  );
  for (const f of s.folds) {
    lines.push(
      `${f.name.padEnd(nameW)}${actorsOf(f).padEnd(actorsW)}${String(f.trainRows).padStart(7)}${
        String(f.testRows).padStart(6)
      }` +
        `${pct(f.metrics.accuracy).padStart(9)}${pct(f.metrics.uar).padStart(9)}${
          f.metrics.macroF1.toFixed(3).padStart(9)
        }` +
        `${(f.metrics7 ? pct(f.metrics7.accuracy) : "-").padStart(9)}${
          f.trainSeconds.toFixed(0).padStart(9)
        }`,
    );
  }
  const p = s.primary;
  lines.push("");
  lines.push(
    `${p.labels.length} classes: accuracy ${spread(p.accuracy)}, UAR ${spread(p.uar)}, macro-F1 ${
      p.macroF1.mean.toFixed(3)
    }${
      p.macroF1.values.length > 1 ? ` ± ${p.macroF1.std.toFixed(3)}` : ""
    } (mean ± std over ${s.folds.length} fold${s.folds.length > 1 ? "s" : ""})`,
  );
  if (s.merged7) {
    lines.push(
      `7 classes (calm merged into neutral): accuracy ${spread(s.merged7.accuracy)}, macro-F1 ${
        s.merged7.macroF1.mean.toFixed(3)
      }`,
    );
  }
  return lines.join("\n");
}

/** A run's figures in one line: accuracy, UAR and macro-F1 with their spread over folds. */
export function headline(s: RunSummary): string {
  const p = s.primary;
  return `accuracy ${spread(p.accuracy)}, UAR ${spread(p.uar)}, macro-F1 ${
    p.macroF1.mean.toFixed(3)
  } (${p.labels.length} classes, ${s.folds.length} fold${s.folds.length > 1 ? "s" : ""})`;
}

/** Confusion matrix as CSV: a header of predicted labels, one row per true label. */
export function confusionCsv(m: Metrics): string {
  const head = ["true\\predicted", ...m.labels].join(",");
  return [head, ...m.confusion.map((row, i) => [m.labels[i], ...row].join(","))].join("\n") + "\n";
}

export function perClassCsv(m: Metrics): string {
  return [
    "label,precision,recall,f1,support",
    ...m.perClass.map((c) =>
      [c.label, c.precision.toFixed(4), c.recall.toFixed(4), c.f1.toFixed(4), c.support].join(",")
    ),
  ].join("\n") + "\n";
}

/** One row per run for a side-by-side table: protocol (flagged when leaky), accuracy, F1, UAR. */
export function comparisonRows(runs: readonly RunSummary[]): Record<string, string | number>[] {
  return runs.map((s) => ({
    protocol: s.leaky ? `${s.protocol} (LEAKY)` : s.protocol,
    model: s.model,
    folds: s.folds.length,
    accuracy: spread(s.primary.accuracy),
    "macro-F1": +s.primary.macroF1.mean.toFixed(3),
    UAR: spread(s.primary.uar),
    "7-class acc": s.merged7 ? spread(s.merged7.accuracy) : "",
    "what it measures": s.protocolText,
  }));
}
