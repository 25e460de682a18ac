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

/** Where the columns of an input frame are, for its functionals. */
export interface FunctionalsLayout {
  frames: number;
  /** Columns per frame. */
  width: number;
  /** The prosody voicing column (0/1) within a frame; -1 when the input has no prosody. */
  voicedColumn: number;
  /** Columns summarised over voiced frames only (pitch and voice quality), within a frame. */
  voicedOnly: number[];
}

/** Prosody columns that mean something only where a frame is voiced (`PROSODY_COLUMNS`). */
const VOICED_ONLY_PROSODY = [0, 1, 3, 7, 8, 9, 10];
const VOICED_PROSODY = 2;

/** The layout of frames `frames` x `width` whose prosody (if any) starts at `prosodyFrom`. */
export function functionalsLayout(
  frames: number,
  width: number,
  prosodyFrom: number | null,
): FunctionalsLayout {
  if (prosodyFrom !== null && !(prosodyFrom >= 0 && prosodyFrom + PROSODY_DIM <= width)) {
    throw new Error(`functionals: prosody at column ${prosodyFrom} does not fit ${width} columns`);
  }
  return {
    frames,
    width,
    voicedColumn: prosodyFrom === null ? -1 : prosodyFrom + VOICED_PROSODY,
    voicedOnly: prosodyFrom === null ? [] : VOICED_ONLY_PROSODY.map((c) => prosodyFrom + c),
  };
}

/** Functionals of one row, `width * FUNCTIONALS.length` values. */
export function functionalsCountOf(layout: FunctionalsLayout): number {
  return layout.width * FUNCTIONALS.length;
}

/**
 * Functionals of `rows` consecutive model inputs (unnormalised frames, `layout`'s shape), one
 * row after another, over each row's first `validFrames[r]` frames (all, when not given). A
 * voiced-only column of a row with no voiced frame is summarised as 0s (the value unvoiced
 * frames hold).
 */
export function inputFunctionals(
  x: Float32Array,
  rows: number,
  layout: FunctionalsLayout,
  validFrames?: ArrayLike<number>,
): Float32Array {
  const { frames, width, voicedColumn } = layout;
  if (x.length !== rows * frames * width) {
    throw new Error(`functionals: ${x.length} values are not ${rows} rows of ${frames}x${width}`);
  }
  const k = FUNCTIONALS.length;
  const out = new Float32Array(rows * width * k);
  const voicedOnly = new Set(layout.voicedOnly);
  const column = new Float64Array(frames);
  const stats = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    const base = r * frames * width;
    const valid = Math.min(frames, validFrames?.[r] ?? frames);
    for (let c = 0; c < width; c++) {
      const masked = voicedOnly.has(c);
      let n = 0;
      for (let t = 0; t < valid; t++) {
        const at = base + t * width;
        if (masked && x[at + voicedColumn] < 0.5) continue;
        column[n++] = x[at + c];
      }
      summarise(n ? column.subarray(0, n) : new Float64Array(1), stats, 0);
      out.set(stats, (r * width + c) * k);
    }
  }
  return out;
}

/** How many functionals `clipFunctionals` returns for rows of these dims. */
export function functionalsCount(dims: FeatureRows["dims"]): number {
  return dims.vector + (dims.logmel + dims.mfccDelta + dims.prosody) * FUNCTIONALS.length;
}

/**
 * Row `i`'s functionals as a whole clip: its clip vector (the classic 162 values), then
 * `inputFunctionals` of its log-mel, MFCC + delta and prosody frames side by side, over its
 * valid frames (what `tools/functionals_blend.ts` measures with).
 */
export function clipFunctionals(rows: FeatureRows, i: number): Float64Array {
  const { dims } = rows;
  const width = dims.logmel + dims.mfccDelta + dims.prosody;
  const frames = new Float32Array(dims.frames * width);
  let from = 0;
  for (const name of ["logmel", "mfccDelta", "prosody"] as const) {
    const w = dims[name];
    const seq = rows[name].subarray(i * dims.frames * w, (i + 1) * dims.frames * w);
    for (let t = 0; t < dims.frames; t++) {
      frames.set(seq.subarray(t * w, (t + 1) * w), t * width + from);
    }
    from += w;
  }
  const layout = functionalsLayout(dims.frames, width, width - dims.prosody);
  const out = new Float64Array(functionalsCount(dims));
  out.set(rows.vectors.subarray(i * dims.vector, (i + 1) * dims.vector));
  out.set(inputFunctionals(frames, 1, layout, [rows.validFrames[i]]), dims.vector);
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
