/**
 * A fold's linear member (`model/linear_member.ts`, `train.linearWeight`): fitted on the fold's
 * training clips as recorded (derived rows left out: they did not help it and cost five times
 * the fitting), each clip's functionals standardised with its voice's statistics where the
 * run's normalisation knows voices (`eval.speakerNorm=per-speaker`: the statistics of all of a
 * speaker's recordings, as the networks' frames), then scored on every test row the networks
 * scored (later windows and test-time variants too). Deterministic, seconds per fold; training
 * and `deno task rescore` fit the same member. Pure (no Deno APIs).
 */
import { linearMemberWeight, type RunConfig } from "../config/config.ts";
import { inputParts } from "../schema/inputs.ts";
import { normPolicy } from "../normalise/policy.ts";
import { applyScaler, fitScaler, type Scaler } from "../normalise/scaler.ts";
import { fitLinearMember, type LinearMember, scoreLinearMember } from "../model/linear_member.ts";
import {
  functionalsCountOf,
  functionalsLayout,
  inputFunctionals,
} from "../features/functionals.ts";
import {
  gatherClipRows,
  inputChannels,
  inputKindOf,
  inputShape,
  labelsOf,
  type PreparedFold,
  type RowSource,
  runLabelSet,
} from "./fold.ts";
import type { RowRef } from "./splits.ts";

/** The linear member of a fold and its probabilities for each of the fold's test rows. */
export interface FoldLinear {
  member: LinearMember;
  /** Row-major [fold.testRows, classes], in `fold.testRows` order. */
  rowProbabilities: Float32Array;
}

/** Rows gathered a few hundred at a time: a fold's whole input at once is hundreds of MB. */
const CHUNK_ROWS = 256;

export function fitFoldLinear(config: RunConfig, src: RowSource, fold: PreparedFold): FoldLinear {
  const kind = inputKindOf(config);
  if (kind === "vector") {
    throw new Error("train.linearWeight: the linear member reads frame inputs (model=temporal)");
  }
  const { rowShape } = inputShape(kind, src);
  const layout = functionalsLayout(
    rowShape[0],
    rowShape[1],
    inputParts(kind).includes("prosody") ? inputChannels(kind, "prosody", src)[0] : null,
    config.train.linearStatistics,
  );
  const dim = functionalsCountOf(layout);
  // A clip's original recording is summarised once per fold: its voice's statistics, the
  // training rows and the test rows all read it.
  const originals = new Map<number, Float32Array>();
  const isOriginal = (r: RowRef) =>
    r.derived < 0 && r.window === undefined && r.variant === undefined;
  const functionalsOf = (rows: readonly RowRef[]) => {
    const pending = new Set<number>();
    const missing = rows.filter((r) => {
      if (!isOriginal(r)) return true;
      if (originals.has(r.clip) || pending.has(r.clip)) return false;
      pending.add(r.clip);
      return true;
    });
    const computed = new Float32Array(missing.length * dim);
    for (let at = 0; at < missing.length; at += CHUNK_ROWS) {
      const chunk = missing.slice(at, at + CHUNK_ROWS);
      const x = gatherClipRows(config, src, chunk, kind, fold.plan.augmented);
      computed.set(inputFunctionals(x, chunk.length, layout), at * dim);
    }
    const out = new Float32Array(rows.length * dim);
    let next = 0;
    rows.forEach((r, i) => {
      let f = isOriginal(r) ? originals.get(r.clip) : undefined;
      if (!f) {
        f = computed.subarray(next * dim, (next + 1) * dim);
        next++;
        if (isOriginal(r)) originals.set(r.clip, f);
      }
      out.set(f, i * dim);
    });
    return out;
  };
  const { plan } = fold;
  const perVoice = normPolicy(config.eval.speakerNorm).voice === "all";
  const voices = new Map<number, Scaler>();
  if (perVoice) {
    // Every recording of each voice the fold touches, as the networks' speaker statistics.
    const actors = new Set(
      [...plan.train, ...plan.val, ...plan.test].map((r) => src.clips[r.clip].actor),
    );
    for (const actor of actors) {
      const own = src.clips.flatMap((
        c,
        clip,
      ) => (c.actor === actor ? [{ clip, derived: -1 }] : []));
      voices.set(actor, fitScaler(functionalsOf(own), dim));
    }
  }
  const standardised = (rows: readonly RowRef[]) => {
    const f = functionalsOf(rows);
    if (!perVoice) return f;
    rows.forEach((r, i) => {
      const voice = voices.get(src.clips[r.clip].actor)!;
      f.set(applyScaler(voice, f.subarray(i * dim, (i + 1) * dim)), i * dim);
    });
    return f;
  };
  const train = plan.train.filter((r) => r.derived < 0);
  const member = fitLinearMember(
    standardised(train),
    labelsOf(src, train, runLabelSet(config)),
    fold.classes,
    { layout, weight: linearMemberWeight(config), lambda: config.train.linearLambda, perVoice },
  );
  return { member, rowProbabilities: scoreLinearMember(member, standardised(fold.testRows)) };
}
