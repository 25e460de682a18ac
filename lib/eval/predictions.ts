/**
 * Accuracy by any grouping of a run's per-clip predictions (per actor, per intensity, ...); the
 * file itself is read and written by `run/predictions.ts`. Pure.
 */
/** One test clip's line. */
export interface PredictionRow {
  clip: string;
  /** The clip's corpus; absent in runs on one corpus (the column is written only when mixed). */
  corpus?: string;
  actor: number;
  fold: string;
  truth: string;
  predicted: string;
  probabilities: Record<string, number>;
}

export interface GroupAccuracy {
  group: string;
  clips: number;
  correct: number;
  accuracy: number;
}

/** Accuracy per group, groups sorted by name (numbers numerically). */
export function accuracyBy(
  rows: readonly PredictionRow[],
  group: (row: PredictionRow) => string | number,
): GroupAccuracy[] {
  const acc = new Map<string | number, { clips: number; correct: number }>();
  for (const r of rows) {
    const g = group(r);
    const a = acc.get(g) ?? { clips: 0, correct: 0 };
    a.clips++;
    if (r.truth === r.predicted) a.correct++;
    acc.set(g, a);
  }
  return [...acc.entries()]
    .sort(([a], [b]) =>
      typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b))
    )
    .map(([g, a]) => ({ group: String(g), ...a, accuracy: a.correct / a.clips }));
}
