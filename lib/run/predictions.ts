/**
 * `predictions.csv`, a run's answer for every test clip: written and read here, by column name,
 * so a run whose clips come from several corpora (`data.trainAlso`, the cross-corpus protocol)
 * has a `corpus` column and reads back like any other. Pure.
 */

import type { PredictionRow } from "../eval/predictions.ts";

export type { PredictionRow };

const FIXED = ["clip", "corpus", "actor", "fold", "true", "predicted"] as const;

/**
 * The CSV text: `clip,[corpus,]actor,fold,true,predicted,p_<label>...`, probabilities to five
 * decimals. `mixed` adds the corpus column (the run read clips of more than one corpus).
 */
export function predictionsCsv(
  rows: readonly PredictionRow[],
  labels: readonly string[],
  mixed: boolean,
): string {
  const head = FIXED.filter((c) => mixed || c !== "corpus");
  const lines = [[...head, ...labels.map((l) => `p_${l}`)].join(",")];
  for (const r of rows) {
    lines.push(
      [
        r.clip,
        ...(mixed ? [r.corpus ?? ""] : []),
        r.actor,
        r.fold,
        r.truth,
        r.predicted,
        ...labels.map((l) => r.probabilities[l].toFixed(5)),
      ].join(","),
    );
  }
  return lines.join("\n") + "\n";
}

/** Reads `predictions.csv` back by its header; a file that is not one is named as such. */
export function parsePredictionsCsv(text: string, source: string): PredictionRow[] {
  const lines = text.split("\n").filter((l) => l.trim().length > 0);
  const head = lines[0]?.split(",") ?? [];
  const at = (name: string) => head.indexOf(name);
  const required = FIXED.filter((c) => c !== "corpus");
  const missing = required.filter((c) => at(c) < 0);
  const probCols = head.map((h, i) => [h, i] as const).filter(([h]) => h.startsWith("p_"));
  if (missing.length || !probCols.length) {
    throw new Error(
      `${source}: not a predictions file (header ${JSON.stringify(lines[0] ?? "")}; missing ${
        [...missing, ...(probCols.length ? [] : ["p_<label> columns"])].join(", ")
      })`,
    );
  }
  const corpusAt = at("corpus");
  return lines.slice(1).map((line, i) => {
    const f = line.split(",");
    if (f.length !== head.length) {
      throw new Error(`${source}: line ${i + 2} has ${f.length} fields, expected ${head.length}`);
    }
    return {
      clip: f[at("clip")],
      ...(corpusAt >= 0 ? { corpus: f[corpusAt] } : {}),
      actor: Number(f[at("actor")]),
      fold: f[at("fold")],
      truth: f[at("true")],
      predicted: f[at("predicted")],
      probabilities: Object.fromEntries(probCols.map(([h, j]) => [h.slice(2), Number(f[j])])),
    };
  });
}
