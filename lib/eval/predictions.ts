/**
 * A run's per-clip predictions (`predictions.csv`) read back, and accuracy by any grouping of
 * them (per actor, per intensity, ...). Pure.
 */

export interface PredictionRow {
  clip: string;
  actor: number;
  fold: string;
  truth: string;
  predicted: string;
  probabilities: Record<string, number>;
}

export function parsePredictionsCsv(text: string, source: string): PredictionRow[] {
  const lines = text.split("\n").filter((l) => l.trim().length > 0);
  const head = lines[0]?.split(",") ?? [];
  const want = ["clip", "actor", "fold", "true", "predicted"];
  if (want.some((w, i) => head[i] !== w)) {
    throw new Error(`${source}: not a predictions file (header ${JSON.stringify(lines[0])})`);
  }
  const labels = head.slice(want.length).map((h) => h.replace(/^p_/, ""));
  return lines.slice(1).map((line, i) => {
    const f = line.split(",");
    if (f.length !== head.length) {
      throw new Error(`${source}: line ${i + 2} has ${f.length} fields, expected ${head.length}`);
    }
    return {
      clip: f[0],
      actor: Number(f[1]),
      fold: f[2],
      truth: f[3],
      predicted: f[4],
      probabilities: Object.fromEntries(labels.map((l, j) => [l, Number(f[want.length + j])])),
    };
  });
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
