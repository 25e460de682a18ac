/**
 * Per-clip functionals: each frame column of a clip summarised over its frames by a few
 * statistics (mean, spread, three percentiles, linear slope over time), the utterance-level
 * description that openSMILE-style feature sets and a linear model are built on. A model on
 * these sees a clip as a whole, where the networks see it frame by frame: their mistakes
 * differ, which is what averaging the two is for. Pure: no Deno APIs.
 */
import { PROSODY_DIM } from "./prosody.ts";
import type { FeatureRows } from "./rows.ts";

/** The statistics taken of every column, in order. */
export const FUNCTIONALS = ["mean", "std", "p10", "p50", "p90", "slope"] as const;

/**
 * Prosody columns (`PROSODY_COLUMNS`' order) that mean something only where the frame is
 * voiced: pitch, periodicity, harmonics-to-noise, the three tilt measures, delta pitch.
 */
const VOICED_ONLY = new Set([0, 1, 3, 7, 8, 9, 10]);
const VOICED_COLUMN = 2;

/** Linear-interpolated quantile of sorted values (numpy's default). */
function quantile(sorted: Float64Array, q: number): number {
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/**
 * `FUNCTIONALS` of `xs` written at `out[at..]`; NaN for each where `xs` is empty. The slope is
 * the least-squares change per frame, so a rising pitch reads positive.
 */
export function summarise(xs: Float64Array, out: Float64Array, at: number): void {
  const n = xs.length;
  if (!n) {
    out.fill(NaN, at, at + FUNCTIONALS.length);
    return;
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += xs[i];
  mean /= n;
  let variance = 0, sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i] - mean;
    const t = i - (n - 1) / 2;
    variance += d * d;
    sxy += t * d;
    sxx += t * t;
  }
  const sorted = Float64Array.from(xs).sort();
  out[at] = mean;
  out[at + 1] = Math.sqrt(variance / n);
  out[at + 2] = quantile(sorted, 0.1);
  out[at + 3] = quantile(sorted, 0.5);
  out[at + 4] = quantile(sorted, 0.9);
  out[at + 5] = sxx ? sxy / sxx : 0;
}

/** How many functionals `clipFunctionals` returns for rows of these dims. */
export function functionalsCount(dims: FeatureRows["dims"]): number {
  return dims.vector + (dims.logmel + dims.mfccDelta + dims.prosody) * FUNCTIONALS.length;
}

/**
 * Row `i`'s functionals: its clip vector (the classic 162 values), then `FUNCTIONALS` of every
 * log-mel, MFCC + delta and prosody column over the row's valid frames (prosody's pitch and
 * voice-quality columns over its voiced frames only). NaN where a column has no frame to
 * summarise (a clip with no voiced frame); `zScoreByGroup` turns those into the group's mean.
 */
export function clipFunctionals(rows: FeatureRows, i: number): Float64Array {
  const { dims } = rows;
  const out = new Float64Array(functionalsCount(dims));
  out.set(rows.vectors.subarray(i * dims.vector, (i + 1) * dims.vector));
  let at = dims.vector;
  const valid = rows.validFrames[i];
  const prosody = rows.prosody.subarray(
    i * dims.frames * PROSODY_DIM,
    (i + 1) * dims.frames * PROSODY_DIM,
  );
  const column = new Float64Array(valid);
  for (const name of ["logmel", "mfccDelta", "prosody"] as const) {
    const width = dims[name];
    const seq = rows[name].subarray(i * dims.frames * width, (i + 1) * dims.frames * width);
    for (let c = 0; c < width; c++) {
      const voicedOnly = name === "prosody" && VOICED_ONLY.has(c);
      let n = 0;
      for (let t = 0; t < valid; t++) {
        if (voicedOnly && prosody[t * PROSODY_DIM + VOICED_COLUMN] < 0.5) continue;
        column[n++] = seq[t * width + c];
      }
      summarise(column.subarray(0, n), out, at);
      at += FUNCTIONALS.length;
    }
  }
  return out;
}

/**
 * Standardises every column of `x` within each group (`group[i]` is row i's: a speaker), in
 * place, from the statistics of the rows `fitted(i)` accepts (e.g. a speaker's original clips,
 * not their augmented copies); a group's other rows are standardised with the same statistics.
 * Missing values (NaN) become 0, the group's mean; a column constant in a group becomes 0.
 */
export function zScoreByGroup(
  x: readonly Float64Array[],
  group: readonly number[],
  fitted: (i: number) => boolean = () => true,
): void {
  if (!x.length) return;
  const width = x[0].length;
  const members = new Map<number, number[]>();
  group.forEach((g, i) => members.set(g, [...(members.get(g) ?? []), i]));
  for (const rows of members.values()) {
    const fit = rows.filter(fitted);
    for (let j = 0; j < width; j++) {
      let n = 0, mean = 0, variance = 0;
      for (const i of fit) if (Number.isFinite(x[i][j])) (n++, mean += x[i][j]);
      mean = n ? mean / n : 0;
      for (const i of fit) if (Number.isFinite(x[i][j])) variance += (x[i][j] - mean) ** 2;
      const sd = n > 1 ? Math.sqrt(variance / n) : 0;
      for (const i of rows) {
        x[i][j] = Number.isFinite(x[i][j]) && sd > 1e-9 ? (x[i][j] - mean) / sd : 0;
      }
    }
  }
}
