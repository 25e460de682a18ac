/**
 * Per-speaker normalisation: each actor's features z-scored with that actor's own statistics,
 * fitted on the actor's original clips without their labels. Voices differ in loudness, pitch
 * and timbre far more than emotions move them; removing each speaker's own offset and spread
 * leaves more of what the emotion changes. Using a test speaker's recordings (never labels) is
 * declared in the run's protocol. Pure.
 */
import type { ClipRecord } from "../corpus/ravdess.ts";
import { applyScaler, fitScaler, type Scaler } from "../model/scaler.ts";

/**
 * One scaler per actor, fitted on what `originalsOf` returns for the actor's clip indices (their
 * unaugmented feature rows, last axis `featureDim`).
 */
export function fitSpeakerScalers(
  clips: readonly ClipRecord[],
  actors: readonly number[],
  featureDim: number,
  originalsOf: (clipIndices: number[]) => Float32Array,
): Map<number, Scaler> {
  const scalers = new Map<number, Scaler>();
  for (const actor of new Set(actors)) {
    const own = clips.flatMap((c, i) => (c.actor === actor ? [i] : []));
    if (!own.length) throw new Error(`speaker normalisation: actor ${actor} has no clips`);
    scalers.set(actor, fitScaler(originalsOf(own), featureDim));
  }
  return scalers;
}

/** Rows (gathered in `rows` order) normalised with their own actor's scaler. */
export function applySpeakerScalers(
  scalers: ReadonlyMap<number, Scaler>,
  clips: readonly ClipRecord[],
  rows: readonly { clip: number }[],
  data: Float32Array,
): Float32Array {
  if (!rows.length) return new Float32Array(0);
  const size = data.length / rows.length;
  const out = new Float32Array(data.length);
  rows.forEach((r, i) => {
    const actor = clips[r.clip].actor;
    const scaler = scalers.get(actor);
    if (!scaler) throw new Error(`speaker normalisation: no statistics for actor ${actor}`);
    out.set(applyScaler(scaler, data.subarray(i * size, (i + 1) * size)), i * size);
  });
  return out;
}
