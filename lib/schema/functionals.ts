/**
 * The statistics a clip's frame columns can be summarised by (`features/functionals.ts`),
 * named here, below config and features, so the config's `train.linearStatistics` and the
 * code that computes them read one list.
 */

/**
 * Every statistic a column can be summarised by. Beyond the level and spread: the shape of the
 * distribution (skew, kurtosis, extremes), the contour (slope, curvature of a parabola over
 * time) and how fast the column moves from frame to frame (`deltaStd`, `deltaAbsMean`: the
 * spread and mean size of its first differences), which openSMILE-style sets take as the
 * functionals of delta contours.
 */
export const FUNCTIONAL_STATISTICS = [
  "mean",
  "std",
  "p10",
  "p25",
  "p50",
  "p75",
  "p90",
  "slope",
  "min",
  "max",
  "skew",
  "kurtosis",
  "deltaStd",
  "deltaAbsMean",
  "curvature",
] as const;
export type FunctionalStatistic = typeof FUNCTIONAL_STATISTICS[number];

/** The statistics taken of every column by default (`train.linearStatistics`), in order. */
export const FUNCTIONALS: readonly FunctionalStatistic[] = FUNCTIONAL_STATISTICS;

/**
 * The statistics of session 16's linear member, before the shape and delta statistics: what a
 * stored member that names none was fitted on.
 */
export const LEGACY_FUNCTIONALS: readonly FunctionalStatistic[] = [
  "mean",
  "std",
  "p10",
  "p50",
  "p90",
  "slope",
];
