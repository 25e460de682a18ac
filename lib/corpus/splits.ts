/**
 * Speaker-independent splits: no actor is ever on both sides. Pure: no Deno APIs.
 */
import type { ClipRecord } from "./ravdess.ts";
import type { SplitConfig } from "../config/config.ts";

export interface SpeakerSplit {
  name: string;
  trainActors: number[];
  testActors: number[];
  /** Validation actors come out of the training side, never the test side. */
  valActors: number[];
}

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
