/**
 * Every split decision of an experiment, in one place. Pure: no Deno APIs.
 *
 * Speakers first: which actors train, validate and test (explicit lists or k folds by actor);
 * no actor is ever on two sides. Then the protocols as row plans: which rows train, validate and
 * test. A row is an original clip vector (`derived: -1`) or a derived (augmented) row, by index
 * into the augmented set the plan names. Every plan except `seed-leaky` is checked: no test clip,
 * and no row derived from a test clip, may reach training.
 */
import type { VoiceRows } from "../model/voice_batch_norm.ts";
import type { SpeakerSplit } from "../schema/split.ts";
import type { ClipRecord } from "../schema/corpus.ts";
import type { Protocol, SplitConfig } from "../config/config.ts";
import { createRng, shuffleInPlace } from "../util/random.ts";

export type { SpeakerSplit };

export interface SplitRecords {
  train: ClipRecord[];
  val: ClipRecord[];
  test: ClipRecord[];
}

export function actorsOf(records: readonly ClipRecord[]): number[] {
  return [...new Set(records.map((r) => r.actor))].sort((a, b) => a - b);
}

/**
 * A split from explicit actor lists. Every actor of the corpus not named as test or validation
 * trains; naming an actor on two sides, or one the corpus does not have, is an error.
 */
export function speakerSplit(
  records: readonly ClipRecord[],
  testActors: readonly number[],
  valActors: readonly number[] = [],
  name = `test-${testActors.join("-")}`,
): SpeakerSplit {
  const present = new Set(actorsOf(records));
  for (const a of [...testActors, ...valActors]) {
    if (!present.has(a)) {
      throw new Error(
        `split ${name}: actor ${a} is not in the corpus (actors: ${[...present].join(", ")})`,
      );
    }
  }
  const both = testActors.filter((a) => valActors.includes(a));
  if (both.length) {
    throw new Error(`split ${name}: actors ${both.join(", ")} are both test and validation`);
  }
  const trainActors = [...present].filter((a) => !testActors.includes(a) && !valActors.includes(a));
  if (trainActors.length === 0) throw new Error(`split ${name}: no actors left to train on`);
  if (testActors.length === 0) throw new Error(`split ${name}: no test actors`);
  return {
    name,
    trainActors,
    testActors: [...testActors].sort((a, b) => a - b),
    valActors: [...valActors].sort((a, b) => a - b),
  };
}

/**
 * k folds over the corpus's actors, each fold holding out a contiguous group of actors
 * (actors 1-8 with k=4 give {1,2} {3,4} {5,6} {7,8}). `folds` may instead list the groups.
 */
export function actorKFold(
  records: readonly ClipRecord[],
  k: number | number[][],
): SpeakerSplit[] {
  const actors = actorsOf(records);
  let groups: number[][];
  if (typeof k === "number") {
    if (!Number.isInteger(k) || k < 2 || k > actors.length) {
      throw new Error(`k-fold: k must be between 2 and the ${actors.length} actors, got ${k}`);
    }
    groups = Array.from(
      { length: k },
      (_, i) =>
        actors.slice(
          Math.floor((i * actors.length) / k),
          Math.floor(((i + 1) * actors.length) / k),
        ),
    );
  } else {
    groups = k;
    const seen = groups.flat();
    const dup = seen.filter((a, i) => seen.indexOf(a) !== i);
    if (dup.length) {
      throw new Error(`k-fold: actors ${[...new Set(dup)].join(", ")} are in more than one fold`);
    }
  }
  return groups.map((g) => speakerSplit(records, g, [], `fold-${g.join("-")}`));
}

/** The records on each side of a split. */
export function applySplit(records: readonly ClipRecord[], split: SpeakerSplit): SplitRecords {
  const side = (actors: number[]) => records.filter((r) => actors.includes(r.actor));
  return {
    train: side(split.trainActors),
    val: side(split.valActors),
    test: side(split.testActors),
  };
}

/** The splits a config asks for: one explicit split, or k folds by actor. */
export function splitsFromConfig(records: readonly ClipRecord[], cfg: SplitConfig): SpeakerSplit[] {
  if (cfg.testActors.length > 0) return [speakerSplit(records, cfg.testActors, cfg.valActors)];
  const folds = actorKFold(records, cfg.folds);
  if (cfg.valActors.length === 0) return folds;
  // Validation actors come out of each fold's training side (never its test side).
  return folds.map((f) => {
    const val = cfg.valActors.filter((a) => !f.testActors.includes(a));
    return speakerSplit(records, f.testActors, val, f.name);
  });
}

/**
 * The split settings checked against the corpus as soon as it is indexed, before minutes of
 * featurizing: an error naming the setting (`--split.folds`, `--split.testActors`,
 * `--split.valActors`) and the speakers there are. Only the speaker protocol splits by speaker.
 */
export function checkSplitSettings(
  records: readonly ClipRecord[],
  cfg: SplitConfig,
  protocol: string,
): void {
  if (protocol !== "speaker") return;
  const actors = actorsOf(records);
  const list = actors.length > 12 ? `${actors.slice(0, 12).join(", ")}, ...` : actors.join(", ");
  if (actors.length < 2) {
    throw new Error(
      `the corpus has ${actors.length === 1 ? `one speaker (${actors[0]})` : "no speakers"}: ` +
        "a speaker-independent evaluation needs two or more (--eval.protocol=random splits files instead)",
    );
  }
  for (const key of ["testActors", "valActors"] as const) {
    const missing = cfg[key].filter((a) => !actors.includes(a));
    if (missing.length) {
      throw new Error(
        `--split.${key}: speaker${missing.length > 1 ? "s" : ""} ${missing.join(", ")} not in ` +
          `the corpus (its ${actors.length} speakers: ${list})`,
      );
    }
  }
  if (cfg.testActors.length) {
    const train = actors.filter((a) => !cfg.testActors.includes(a) && !cfg.valActors.includes(a));
    if (!train.length) {
      throw new Error(`--split.testActors/--split.valActors: no speaker is left to train on`);
    }
  } else if (cfg.folds > actors.length) {
    throw new Error(
      `--split.folds=${cfg.folds}: the corpus has ${actors.length} speakers (${list}), so at most ${actors.length} folds`,
    );
  }
  splitsFromConfig(records, cfg);
}

export interface RowRef {
  clip: number;
  /** -1 for the clip's original row, else the index of a derived row in the plan's set. */
  derived: number;
  /** A later window of the clip (its index in the source's windows) instead of its first. */
  window?: number;
  /** A test-time variant of the clip (`eval.tta`: its index in the source's variants). */
  variant?: number;
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

const originals = (clips: readonly number[]): RowRef[] =>
  clips.map((clip) => ({ clip, derived: -1 }));

function clipsOfActors(clips: readonly ClipRecord[], actors: readonly number[]): number[] {
  const set = new Set(actors);
  return clips.flatMap((c, i) => (set.has(c.actor) ? [i] : []));
}

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

/**
 * Each speaker's rows among `rows`: all of them scored, statistics from its original
 * recordings' first windows (the rows its speaker scaler was fitted on).
 */
export function voiceRowsOf(
  rows: readonly RowRef[],
  actorOf: (clip: number) => number,
): VoiceRows[] {
  const byActor = new Map<number, { stats: number[]; rows: number[] }>();
  rows.forEach((r, i) => {
    const actor = actorOf(r.clip);
    let v = byActor.get(actor);
    if (!v) byActor.set(actor, v = { stats: [], rows: [] });
    v.rows.push(i);
    if (r.derived < 0 && r.window === undefined && r.variant === undefined) v.stats.push(i);
  });
  return [...byActor.values()].map((v) => ({
    stats: Int32Array.from(v.stats),
    rows: Int32Array.from(v.rows),
  }));
}
