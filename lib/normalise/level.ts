/**
 * A clip's loudness level taken from itself (`eval.speakerNorm=per-clip-prosody-level`): the
 * log-mel columns and the MFCCs' first coefficient, which carry the clip's overall level in dB,
 * moved so that the clip's mean level is 0. What the recording gain and the voice put into
 * every band alike goes; the spectral shape (which bands are louder than which, the tilt that
 * vocal effort brings), the level's movement over time and every other column stay. Strict:
 * nothing of a voice beyond the clip. Pure.
 */

/** Where a frame input keeps its level, and how the two measures of it relate. */
export interface ClipLevelLayout {
  /** The log-mel columns `[from, to)` (dB), or null where the input has none. */
  logmel: [number, number] | null;
  /** The column of MFCC 0, or null where the input has no MFCCs. */
  c0: number | null;
  /**
   * MFCC 0 per dB of level: an orthonormal DCT over `nMels` dB bands gives the constant
   * offset d a first coefficient of d * sqrt(nMels).
   */
  c0PerDb: number;
}

/**
 * The clip's level in dB: the mean of MFCC 0 over its frames (the mean over every band of the
 * full mel spectrum) where the input has it, else the mean of its log-mel columns.
 */
function clipLevelDb(
  row: Float32Array,
  width: number,
  layout: ClipLevelLayout,
): number {
  const frames = row.length / width;
  let sum = 0;
  if (layout.c0 !== null) {
    for (let t = 0; t < frames; t++) sum += row[t * width + layout.c0];
    return sum / frames / layout.c0PerDb;
  }
  const [from, to] = layout.logmel!;
  for (let t = 0; t < frames; t++) {
    for (let c = from; c < to; c++) sum += row[t * width + c];
  }
  return sum / (frames * (to - from));
}

/**
 * Each of `rowCount` rows (frames of `width` columns) with its own mean level removed from its
 * log-mel columns and MFCC 0 (see `ClipLevelLayout`); every other column as it was.
 */
export function removeClipLevel(
  data: Float32Array,
  rowCount: number,
  width: number,
  layout: ClipLevelLayout,
): Float32Array {
  if (layout.logmel === null && layout.c0 === null) {
    throw new Error("clip level: the input has neither log-mel nor MFCC columns");
  }
  const out = data.slice();
  if (!rowCount) return out;
  const size = data.length / rowCount;
  for (let r = 0; r < rowCount; r++) {
    const row = out.subarray(r * size, (r + 1) * size);
    const db = clipLevelDb(row, width, layout);
    for (let t = 0; t < size / width; t++) {
      const o = t * width;
      if (layout.logmel) {
        for (let c = layout.logmel[0]; c < layout.logmel[1]; c++) row[o + c] -= db;
      }
      if (layout.c0 !== null) row[o + layout.c0] -= db * layout.c0PerDb;
    }
  }
  return out;
}
