/**
 * Per-clip functionals: each frame column of a clip summarised over its frames by a few
 * statistics (mean, spread, three percentiles, linear slope over time), the utterance-level
 * description that openSMILE-style feature sets and a linear model are built on. A model on
 * these sees a clip as a whole, where the networks see it frame by frame: their mistakes
 * differ, which is what averaging the two is for. Pure: no Deno APIs.
 */
import { PROSODY_DIM } from "./prosody.ts";
import type { FeatureRows } from "./rows.ts";
import {
  FUNCTIONAL_STATISTICS,
  FUNCTIONALS,
  type FunctionalStatistic,
  LEGACY_FUNCTIONALS,
} from "../schema/functionals.ts";

export {
  FUNCTIONAL_STATISTICS,
  FUNCTIONALS,
  type FunctionalStatistic,
  LEGACY_FUNCTIONALS,
} from "../schema/functionals.ts";

/** Linear-interpolated quantile of sorted values (numpy's default). */
function quantile(sorted: Float64Array, q: number): number {
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/**
 * `statistics` of `xs` written at `out[at..]`, in order; NaN for each where `xs` is empty. The
 * slope is the least-squares change per frame (a rising pitch reads positive), the curvature
 * the second-order coefficient of a least-squares parabola over centred frame times, skew and
 * kurtosis the standardised third and fourth moments (0 for a constant column), and the delta
 * statistics those of `xs[t + 1] - xs[t]` (0 for a single value).
 */
export function summarise(
  xs: Float64Array,
  out: Float64Array,
  at: number,
  statistics: readonly FunctionalStatistic[] = FUNCTIONALS,
): void {
  const n = xs.length;
  if (!n) {
    out.fill(NaN, at, at + statistics.length);
    return;
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += xs[i];
  mean /= n;
  // Centred times t and u = t² - mean(t²) are orthogonal to each other and to a constant, so
  // slope and curvature are each a single projection.
  const uMean = (n * n - 1) / 12;
  let m2 = 0, m3 = 0, m4 = 0, sxy = 0, sxx = 0, suy = 0, suu = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i] - mean;
    const t = i - (n - 1) / 2;
    const u = t * t - uMean;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
    sxy += t * d;
    sxx += t * t;
    suy += u * d;
    suu += u * u;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  const std = Math.sqrt(m2);
  let sorted: Float64Array | null = null;
  const q = (p: number) => quantile(sorted ??= Float64Array.from(xs).sort(), p);
  let deltas: { std: number; absMean: number } | null = null;
  const delta = () => {
    if (deltas) return deltas;
    if (n < 2) return deltas = { std: 0, absMean: 0 };
    let sum = 0, abs = 0;
    for (let i = 1; i < n; i++) {
      const d = xs[i] - xs[i - 1];
      sum += d;
      abs += Math.abs(d);
    }
    const dMean = sum / (n - 1);
    let v = 0;
    for (let i = 1; i < n; i++) v += (xs[i] - xs[i - 1] - dMean) ** 2;
    return deltas = { std: Math.sqrt(v / (n - 1)), absMean: abs / (n - 1) };
  };
  const flat = std <= 1e-9;
  const value = (s: FunctionalStatistic): number => {
    switch (s) {
      case "mean":
        return mean;
      case "std":
        return std;
      case "p10":
        return q(0.1);
      case "p25":
        return q(0.25);
      case "p50":
        return q(0.5);
      case "p75":
        return q(0.75);
      case "p90":
        return q(0.9);
      case "min":
        return q(0);
      case "max":
        return q(1);
      case "slope":
        return sxx ? sxy / sxx : 0;
      case "curvature":
        return suu > 1e-12 ? suy / suu : 0;
      case "skew":
        return flat ? 0 : m3 / (std * m2);
      case "kurtosis":
        return flat ? 0 : m4 / (m2 * m2);
      case "deltaStd":
        return delta().std;
      case "deltaAbsMean":
        return delta().absMean;
    }
  };
  statistics.forEach((s, k) => out[at + k] = value(s));
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
  /**
   * The statistics taken of every column, in order (`LEGACY_FUNCTIONALS` for a stored layout
   * that names none: see `parseFunctionalsLayout`).
   */
  statistics: readonly FunctionalStatistic[];
}

/** Prosody columns that mean something only where a frame is voiced (`PROSODY_COLUMNS`). */
const VOICED_ONLY_PROSODY = [0, 1, 3, 7, 8, 9, 10];
const VOICED_PROSODY = 2;

/**
 * The layout of frames `frames` x `width` whose prosody (if any) starts at `prosodyFrom`,
 * summarised by `statistics`.
 */
export function functionalsLayout(
  frames: number,
  width: number,
  prosodyFrom: number | null,
  statistics: readonly FunctionalStatistic[] = FUNCTIONALS,
): FunctionalsLayout {
  if (prosodyFrom !== null && !(prosodyFrom >= 0 && prosodyFrom + PROSODY_DIM <= width)) {
    throw new Error(`functionals: prosody at column ${prosodyFrom} does not fit ${width} columns`);
  }
  return {
    frames,
    width,
    voicedColumn: prosodyFrom === null ? -1 : prosodyFrom + VOICED_PROSODY,
    voicedOnly: prosodyFrom === null ? [] : VOICED_ONLY_PROSODY.map((c) => prosodyFrom + c),
    statistics: checkStatistics(statistics, "functionals"),
  };
}

/** `statistics` if every name is one of `FUNCTIONAL_STATISTICS` and none repeats. */
function checkStatistics(statistics: unknown, source: string): readonly FunctionalStatistic[] {
  if (!Array.isArray(statistics) || !statistics.length) {
    throw new Error(`${source}: statistics must be a non-empty list`);
  }
  for (const s of statistics) {
    if (!(FUNCTIONAL_STATISTICS as readonly unknown[]).includes(s)) {
      throw new Error(
        `${source}: unknown statistic ${JSON.stringify(s)} (known: ${
          FUNCTIONAL_STATISTICS.join(", ")
        })`,
      );
    }
  }
  if (new Set(statistics).size !== statistics.length) {
    throw new Error(`${source}: a statistic is named twice in ${statistics.join(",")}`);
  }
  return statistics;
}

/**
 * A stored layout read back (`linear.json`, `ensemble.json`): a layout written before the
 * statistics were a setting names none and was fitted on `LEGACY_FUNCTIONALS`.
 */
export function parseFunctionalsLayout(json: unknown, source: string): FunctionalsLayout {
  const j = json as Partial<FunctionalsLayout> | null;
  const count = (x: unknown) => Number.isInteger(x) && (x as number) >= 0;
  if (
    !j || !count(j.frames) || !count(j.width) || !Number.isInteger(j.voicedColumn) ||
    !Array.isArray(j.voicedOnly) || !j.voicedOnly.every(count)
  ) {
    throw new Error(`${source}: damaged functionals layout`);
  }
  return {
    frames: j.frames!,
    width: j.width!,
    voicedColumn: j.voicedColumn!,
    voicedOnly: j.voicedOnly,
    statistics: checkStatistics(j.statistics ?? LEGACY_FUNCTIONALS, source),
  };
}

/** Functionals of one row, `width * statistics.length` values. */
export function functionalsCountOf(layout: FunctionalsLayout): number {
  return layout.width * layout.statistics.length;
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
  const k = layout.statistics.length;
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
      summarise(n ? column.subarray(0, n) : new Float64Array(1), stats, 0, layout.statistics);
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
