/**
 * Evaluation protocols as row plans: which rows train, which validate, which test. Pure.
 *
 * A row is an original clip vector (`derived: -1`) or a derived (augmented) row, by index into
 * the augmented set the plan names. Every plan except `seed-leaky` is checked: no test clip, and
 * no row derived from a test clip, may reach training.
 */
import type { ClipRecord } from "../corpus/ravdess.ts";
import type { SpeakerSplit } from "../corpus/splits.ts";
import type { Protocol } from "../config/config.ts";
import { createRng, shuffleInPlace } from "../util/random.ts";

export interface RowRef {
  clip: number;
  /** -1 for the clip's original row, else the index of a derived row in the plan's set. */
  derived: number;
}

export interface FoldPlan {
  name: string;
  protocol: Protocol;
  /** True only for `seed-leaky`: rows of one clip can sit on both sides. */
  leaky: boolean;
  /** Index of the augmented set the derived rows refer to. */
  augmented: number;
  trainActors: number[];
  testActors: number[];
  train: RowRef[];
  val: RowRef[];
  test: RowRef[];
}

/** A minimal view of an augmented set: the clip each derived row came from. */
export interface DerivedRows {
  rows: readonly { clipIndex: number }[];
}

export const PROTOCOL_TEXT: Record<Protocol, string> = {
  "speaker":
    "speaker-independent: test actors never seen in training (neither their clips nor rows derived from them)",
  "random":
    "random file split, stratified by emotion; only training files are augmented (speakers overlap)",
  "seed-leaky":
    "LEAKY: every file augmented, then rows split at random, so versions of one recording sit on both sides",
};

const originals = (clips: readonly number[]): RowRef[] =>
  clips.map((clip) => ({ clip, derived: -1 }));

function clipsOfActors(clips: readonly ClipRecord[], actors: readonly number[]): number[] {
  const set = new Set(actors);
  return clips.flatMap((c, i) => (set.has(c.actor) ? [i] : []));
}

/** Appended to the protocol text of runs with per-speaker normalisation, by variant. */
export const SPEAKER_NORM_TEXT = {
  "none": "",
  "per-speaker":
    "; per-speaker normalisation: each actor's features z-scored with statistics of that actor's own recordings (test actors' audio included, never their labels)",
  "online":
    "; online per-speaker normalisation: training actors z-scored with their own statistics; each test clip with running statistics of its actor's clips met so far (in a seeded random order, itself included, never labels)",
} as const;

/** Throws if a training row is, or derives from, a test clip. */
export function assertNoLeak(plan: FoldPlan, derived: DerivedRows): void {
  if (plan.leaky) return;
  const testClips = new Set(plan.test.map((r) => r.clip));
  const source = (r: RowRef) => (r.derived < 0 ? r.clip : derived.rows[r.derived].clipIndex);
  const bad = [...plan.train, ...plan.val].filter((r) =>
    testClips.has(source(r)) || testClips.has(r.clip)
  );
  if (bad.length) {
    throw new Error(
      `leakage guard (${plan.name}): ${bad.length} training/validation rows come from test clips`,
    );
  }
}

/** One plan per speaker split; `derived[i]` holds only split i's training-actor rows. */
export function speakerPlans(
  clips: readonly ClipRecord[],
  splits: readonly SpeakerSplit[],
  derived: readonly DerivedRows[],
  keepOriginals: boolean,
): FoldPlan[] {
  return splits.map((split, i) => {
    const trainClips = clipsOfActors(clips, split.trainActors);
    const plan: FoldPlan = {
      name: split.name,
      protocol: "speaker",
      leaky: false,
      augmented: i,
      trainActors: [...split.trainActors],
      testActors: [...split.testActors],
      train: [
        ...(keepOriginals ? originals(trainClips) : []),
        ...derived[i].rows.map((_, d) => ({ clip: derived[i].rows[d].clipIndex, derived: d })),
      ],
      val: originals(clipsOfActors(clips, split.valActors)),
      test: originals(clipsOfActors(clips, split.testActors)),
    };
    const testActors = new Set(split.testActors);
    if (plan.train.some((r) => testActors.has(clips[r.clip].actor))) {
      throw new Error(`leakage guard (${split.name}): training rows from test actors`);
    }
    assertNoLeak(plan, derived[i]);
    return plan;
  });
}

/** Clip indices split per emotion: `testFraction` of each class (rounded) goes to test. */
export function stratifiedClipSplit(
  clips: readonly ClipRecord[],
  testFraction: number,
  seed: number,
): { train: number[]; test: number[] } {
  const rng = createRng(seed);
  const byEmotion = new Map<string, number[]>();
  clips.forEach((c, i) => byEmotion.set(c.emotion, [...(byEmotion.get(c.emotion) ?? []), i]));
  const train: number[] = [];
  const test: number[] = [];
  for (const key of [...byEmotion.keys()].sort()) {
    const idx = byEmotion.get(key)!;
    shuffleInPlace(rng, idx);
    const nTest = Math.round(idx.length * testFraction);
    test.push(...idx.slice(0, nTest));
    train.push(...idx.slice(nTest));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/** `random`: file-level stratified split; derived rows of training files only. */
export function randomPlan(
  clips: readonly ClipRecord[],
  derived: DerivedRows,
  testFraction: number,
  seed: number,
  keepOriginals: boolean,
): FoldPlan {
  const { train, test } = stratifiedClipSplit(clips, testFraction, seed);
  const trainSet = new Set(train);
  const plan: FoldPlan = {
    name: `random-${Math.round(testFraction * 100)}`,
    protocol: "random",
    leaky: false,
    augmented: 0,
    trainActors: [...new Set(train.map((i) => clips[i].actor))].sort((a, b) => a - b),
    testActors: [...new Set(test.map((i) => clips[i].actor))].sort((a, b) => a - b),
    train: [
      ...(keepOriginals ? originals(train) : []),
      ...derived.rows
        .map((r, d) => ({ clip: r.clipIndex, derived: d }))
        .filter((r) => trainSet.has(r.clip)),
    ],
    val: [],
    test: originals(test),
  };
  assertNoLeak(plan, derived);
  return plan;
}

/** `seed-leaky`: every row of every file (originals and derived), split at random. */
export function leakyPlan(
  clips: readonly ClipRecord[],
  derived: DerivedRows,
  testFraction: number,
  seed: number,
  keepOriginals: boolean,
): FoldPlan {
  const rows: RowRef[] = [
    ...(keepOriginals ? originals(clips.map((_, i) => i)) : []),
    ...derived.rows.map((r, d) => ({ clip: r.clipIndex, derived: d })),
  ];
  shuffleInPlace(createRng(seed), rows);
  const nTest = Math.round(rows.length * testFraction);
  const actors = [...new Set(clips.map((c) => c.actor))].sort((a, b) => a - b);
  return {
    name: `seed-leaky-${Math.round(testFraction * 100)}`,
    protocol: "seed-leaky",
    leaky: true,
    augmented: 0,
    trainActors: actors,
    testActors: actors,
    train: rows.slice(nTest),
    val: [],
    test: rows.slice(0, nTest),
  };
}
