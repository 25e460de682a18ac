/**
 * Several corpora in one experiment: one clip list and one row source, with every speaker
 * namespaced by corpus so that no two corpora share a speaker number (the run's own corpus
 * keeps its numbers; another corpus's speaker s becomes `speakerOffset(name) + s`, e.g. EmoDB's
 * speaker 3 is 20003). Pure: no Deno APIs.
 */
import type { ClipRecord, LabelSet } from "../schema/corpus.ts";
import { speakerOffset } from "../corpus/corpora.ts";
import type { CorpusName } from "../schema/corpus.ts";
import { type ClipWindows, concatRows, type FeatureRows } from "../features/rows.ts";
import type { AugmentedRow } from "../pipeline/augment.ts";
import type { FoldPlan, RowRef } from "./splits.ts";

/** One corpus's part of a mixed experiment. */
export interface CorpusPart {
  name: CorpusName;
  clips: readonly ClipRecord[];
  rows: FeatureRows;
  windows?: ClipWindows;
  /** The corpus's derived rows, when it trains (one set, or one per split of the run's own). */
  augmented?: readonly { rows: readonly AugmentedRow[]; features: FeatureRows }[];
}

export interface MixedSource {
  clips: ClipRecord[];
  rows: FeatureRows;
  windows?: ClipWindows;
  /** Set i: every part's derived rows for split i (a part with one set gives it to every split). */
  augmented: { rows: AugmentedRow[]; features: FeatureRows }[];
}

/**
 * Joins the parts: the first is the run's own corpus (speaker numbers kept), the others are
 * namespaced. `splits` is how many augmented sets the result has.
 */
export function mixCorpora(parts: readonly CorpusPart[], splits: number): MixedSource {
  const starts: number[] = [];
  const clips: ClipRecord[] = [];
  parts.forEach((p, k) => {
    starts.push(clips.length);
    const offset = k === 0 ? 0 : speakerOffset(p.name);
    for (const c of p.clips) clips.push({ ...c, corpus: p.name, actor: offset + c.actor });
  });
  const dims = parts[0].rows.dims;
  const rows = concatRows(parts.map((p) => p.rows), dims);
  let windows: ClipWindows | undefined;
  if (parts.some((p) => p.windows)) {
    const withWindows = parts.flatMap((p, k) => p.windows ? [{ w: p.windows, k }] : []);
    const clip = new Int32Array(withWindows.reduce((n, { w }) => n + w.clip.length, 0));
    let at = 0;
    for (const { w, k } of withWindows) {
      for (const c of w.clip) clip[at++] = starts[k] + c;
    }
    windows = { clip, rows: concatRows(withWindows.map(({ w }) => w.rows), dims) };
  }
  const augmented = Array.from({ length: splits }, (_, i) => {
    const sets = parts.flatMap((p, k) => {
      if (!p.augmented?.length) return [];
      const set = p.augmented.length === 1 ? p.augmented[0] : p.augmented[i];
      const offset = k === 0 ? 0 : speakerOffset(p.name);
      return [{
        rows: set.rows.map((r) => ({
          ...r,
          clipIndex: starts[k] + r.clipIndex,
          actor: offset + r.actor,
        })),
        features: set.features,
      }];
    });
    return {
      rows: sets.flatMap((s) => s.rows),
      features: concatRows(sets.map((s) => s.features), dims),
    };
  });
  return { clips, rows, windows, augmented };
}

/**
 * The plan without rows whose clip's emotion the label set lacks (another corpus's boredom, or
 * RAVDESS's calm when the test corpus has none): counted, never guessed at.
 */
export function keepLabelled(
  plan: FoldPlan,
  clips: readonly ClipRecord[],
  set: LabelSet,
): FoldPlan {
  const keep = (rows: RowRef[]) => rows.filter((r) => set.indexOf(clips[r.clip].emotion) >= 0);
  const test = keep(plan.test);
  if (test.length === 0) throw new Error(`${plan.name}: no test clip has one of ${set.classes}`);
  return { ...plan, train: keep(plan.train), val: keep(plan.val), test };
}
