/**
 * Assembling the training rows of a split: the originals of its training clips (when the
 * recipe keeps them) plus the derived rows, each row labelled with its source clip. Pure.
 */
import { type ClipRecord, EMOTIONS_8 } from "../corpus/ravdess.ts";
import type { SpeakerSplit } from "../corpus/splits.ts";

export interface RowSource {
  clipIndex: number;
  actor: number;
  /** `original` or the recipe row that made it. */
  row: string;
}

export interface RowMatrix {
  /** Row-major [n, dim]. */
  data: Float32Array;
  dim: number;
  sources: RowSource[];
  /** Emotion index (EMOTIONS_8 order) per row. */
  emotion: Int32Array;
}

/**
 * Rows for training under `split`: originals of training-actor clips if `keepOriginals`, then the
 * derived rows. Any row whose source clip is a held-out actor's is an error, not a filter: it
 * would mean the caller mixed up splits.
 */
export function assembleTrainingRows(
  clips: readonly ClipRecord[],
  original: { data: Float32Array; dim: number },
  derived: { data: Float32Array; rows: readonly RowSource[] },
  split: SpeakerSplit,
  keepOriginals: boolean,
): RowMatrix {
  const dim = original.dim;
  const train = clips.map((c, i) => ({ c, i })).filter(({ c }) =>
    split.trainActors.includes(c.actor)
  );
  const sources: RowSource[] = [
    ...(keepOriginals
      ? train.map(({ c, i }) => ({ clipIndex: i, actor: c.actor, row: "original" }))
      : []),
    ...derived.rows,
  ];
  const heldOut = new Set([...split.testActors, ...split.valActors]);
  const leaked = sources.filter((s) => heldOut.has(clips[s.clipIndex].actor));
  if (leaked.length) {
    throw new Error(
      `leakage guard (${split.name}): ${leaked.length} training rows come from held-out actors`,
    );
  }
  const data = new Float32Array(sources.length * dim);
  let r = 0;
  if (keepOriginals) {
    for (const { i } of train) data.set(original.data.subarray(i * dim, (i + 1) * dim), dim * r++);
  }
  data.set(derived.data.subarray(0, derived.rows.length * dim), dim * r);
  const emotion = Int32Array.from(sources, (s) => EMOTIONS_8.indexOf(clips[s.clipIndex].emotion));
  return { data, dim, sources, emotion };
}

/** Rows of the clips of `actors` (originals only: held-out clips are never augmented). */
export function heldOutRows(
  clips: readonly ClipRecord[],
  original: { data: Float32Array; dim: number },
  actors: readonly number[],
): RowMatrix {
  const dim = original.dim;
  const picked = clips.map((c, i) => ({ c, i })).filter(({ c }) => actors.includes(c.actor));
  const data = new Float32Array(picked.length * dim);
  picked.forEach(({ i }, r) => data.set(original.data.subarray(i * dim, (i + 1) * dim), r * dim));
  return {
    data,
    dim,
    sources: picked.map(({ c, i }) => ({ clipIndex: i, actor: c.actor, row: "original" })),
    emotion: Int32Array.from(picked, ({ c }) => EMOTIONS_8.indexOf(c.emotion)),
  };
}
