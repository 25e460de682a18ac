/**
 * The ablation study: named configurations, each stated in full (not relative to today's
 * defaults, which move), trained under the speaker-independent protocol over several seeds, and
 * summarised as table rows. Pure.
 */
import type { RunSummary } from "./summary.ts";
import { LEVERS_OFF } from "../config/defaults.ts";
import { confusionMatrix, meanStd, metricsFromConfusion, type Spread } from "./metrics.ts";
import type { PredictionRow } from "./predictions.ts";

export interface AblationVariant {
  name: string;
  /** What changed, in words, against the row it builds on. */
  change: string;
  /** Every setting the study varies, given explicitly. */
  overrides: Record<string, string>;
}

/** Every row starts from the temporal network on log-mel frames with every lever off. */
const OFF: Record<string, string> = {
  ...Object.fromEntries(
    Object.entries(LEVERS_OFF).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  ),
  "augment.recipe": "[original,noise,stretch+pitch]",
  "model": "temporal",
  "temporal.input": "logmel",
  "eval.protocol": "speaker",
};

const SPEC = { "train.specTimeMasks": "2", "train.specFreqMasks": "2" };
/** Three networks per fold on different features, no normalisation chosen yet. */
const MIXED = {
  ...OFF,
  "temporal.input": "logmelMfccDelta",
  "temporal.memberInputs": "[mfccDelta,logmel]",
  "train.ensemble": "3",
};
const PROSODY = {
  "temporal.input": "logmelMfccDeltaProsody",
  "temporal.memberInputs": "[mfccDeltaProsody,logmel]",
};

/** Two more rows per clip: the voice 3 semitones lower and higher, formants moving with it. */
const PITCH3 = { "augment.recipe": "[original,noise,stretch+pitch,pitch@-3,pitch@3]" };

/** Session 16's default: the row the linear member's later settings start from. */
const LINEAR_SESSION16 = {
  ...MIXED,
  ...PROSODY,
  ...PITCH3,
  "eval.speakerNorm": "per-speaker",
  "train.averageLast": "5",
  "train.linearWeight": "0.25",
  "train.linearStatistics": "[mean,std,p10,p50,p90,slope]",
};

/** Session 17's default: the linear member on all fifteen statistics at 0.5. */
const LINEAR15_SESSION17 = {
  ...LINEAR_SESSION16,
  "train.linearWeight": "0.5",
  "train.linearStatistics":
    "[mean,std,p10,p25,p50,p75,p90,slope,min,max,skew,kurtosis,deltaStd,deltaAbsMean,curvature]",
};

export const ABLATION_VARIANTS: readonly AblationVariant[] = [
  {
    name: "seed",
    change: "the classic recipe: Conv1D on the 162-value clip vector, 3 rows per clip",
    overrides: { ...OFF, model: "seed" },
  },
  {
    name: "frames",
    change: "frame model over 40 log-mel bands (batch norm, mean+max pooling over time)",
    overrides: { ...OFF },
  },
  {
    name: "frames+spk",
    change: "+ per-speaker normalisation (statistics of each actor's own unlabeled clips)",
    overrides: { ...OFF, "eval.speakerNorm": "per-speaker" },
  },
  {
    name: "frames+online",
    change: "per-speaker statistics for training actors, running ones for test voices",
    overrides: { ...OFF, "eval.speakerNorm": "online" },
  },
  {
    name: "frames+spk+bal",
    change: "+ class-balanced loss (neutral has half the clips)",
    overrides: { ...OFF, "eval.speakerNorm": "per-speaker", "train.classBalance": "true" },
  },
  {
    name: "frames+spk+ens3",
    change:
      "frames+spk with 3 networks per fold (seeds fold seed + 0/100/200), probabilities averaged",
    overrides: { ...OFF, "eval.speakerNorm": "per-speaker", "train.ensemble": "3" },
  },
  {
    name: "frames+spk+mask",
    change: "frames+spk + SpecAugment: 2 time masks (<= 10 frames), 2 band masks (<= 6 bands)",
    overrides: { ...OFF, "eval.speakerNorm": "per-speaker", ...SPEC },
  },
  {
    name: "frames+spk+mixup",
    change: "frames+spk + mixup (alpha 0.2)",
    overrides: { ...OFF, "eval.speakerNorm": "per-speaker", "train.mixupAlpha": "0.2" },
  },
  {
    name: "frames+spk+mask+mixup",
    change: "frames+spk + both SpecAugment masks and mixup (alpha 0.2)",
    overrides: {
      ...OFF,
      "eval.speakerNorm": "per-speaker",
      ...SPEC,
      "train.mixupAlpha": "0.2",
    },
  },
  {
    name: "mfcc+spk",
    change: "frames+spk with MFCC + deltas (60 per frame) instead of 40 log-mel bands",
    overrides: { ...OFF, "temporal.input": "mfccDelta", "eval.speakerNorm": "per-speaker" },
  },
  {
    name: "both+spk",
    change: "frames+spk with log-mel and MFCC + deltas side by side (100 per frame)",
    overrides: {
      ...OFF,
      "temporal.input": "logmelMfccDelta",
      "eval.speakerNorm": "per-speaker",
    },
  },
  {
    name: "mixed+spk+ens3",
    change:
      "3 networks per fold that see different features (MFCC + deltas, log-mel, MFCC + deltas), averaged",
    overrides: {
      ...OFF,
      "temporal.input": "logmelMfccDelta",
      "temporal.memberInputs": "[mfccDelta,logmel]",
      "eval.speakerNorm": "per-speaker",
      "train.ensemble": "3",
    },
  },
  // Issue 20: prosody, strict settings, and model selection without test speakers.
  {
    name: "mixed+spk+ens3+prosody",
    change:
      "mixed+spk+ens3 with prosody frames (pitch, voicing, loudness, tilt) beside MFCC + deltas",
    overrides: { ...MIXED, ...PROSODY, "eval.speakerNorm": "per-speaker" },
  },
  {
    name: "mixed+ens3",
    change: "mixed+spk+ens3 strict: no per-speaker normalisation",
    overrides: { ...MIXED },
  },
  {
    name: "mixed+ens3+prosody",
    change: "mixed+ens3 (strict) with prosody frames beside MFCC + deltas",
    overrides: { ...MIXED, ...PROSODY },
  },
  {
    name: "mixed+clip+ens3",
    change: "strict, each clip z-scored over its own frames (per-clip normalisation)",
    overrides: { ...MIXED, "eval.speakerNorm": "per-clip" },
  },
  {
    name: "mixed+clip+ens3+prosody",
    change: "mixed+clip+ens3 with prosody frames beside MFCC + deltas",
    overrides: { ...MIXED, ...PROSODY, "eval.speakerNorm": "per-clip" },
  },
  {
    name: "mixed+spk+ens3+prosody+avg5",
    change: "the prosody default keeping the mean weights of the last 5 epochs",
    overrides: {
      ...MIXED,
      ...PROSODY,
      "eval.speakerNorm": "per-speaker",
      "train.averageLast": "5",
    },
  },
  {
    name: "mixed+spk+ens3+prosody+cos+avg5",
    change: "mixed+spk+ens3+prosody+avg5 with a cosine learning-rate schedule",
    overrides: {
      ...MIXED,
      ...PROSODY,
      "eval.speakerNorm": "per-speaker",
      "train.averageLast": "5",
      "train.lrSchedule": "cosine",
    },
  },
  {
    name: "mixed+spk+ens3+win0.5",
    change: "mixed+spk+ens3 scoring each clip over 2.5 s windows every 0.5 s, averaged",
    overrides: { ...MIXED, "eval.speakerNorm": "per-speaker", "audio.windowHopS": "0.5" },
  },
  {
    name: "mixed+ens3+pitch3",
    change: "mixed+ens3 (strict) with two more rows per clip, shifted 3 semitones down and up",
    overrides: { ...MIXED, ...PITCH3 },
  },
  {
    name: "mixed+spk+ens3+prosody+pitch3",
    change: "the prosody default with two more rows per clip, shifted 3 semitones down and up",
    overrides: { ...MIXED, ...PROSODY, ...PITCH3, "eval.speakerNorm": "per-speaker" },
  },
  {
    name: "mixed+spk+ens3+prosody+attn",
    change:
      "the prosody default pooling frames by attention too (`--temporal.pooling=meanMaxAttention`)",
    overrides: {
      ...MIXED,
      ...PROSODY,
      "eval.speakerNorm": "per-speaker",
      "temporal.pooling": "meanMaxAttention",
    },
  },
  {
    name: "mixed+ens3+prosody-clip",
    change:
      "strict with prosody frames, only they z-scored per clip (`--speakerNorm=per-clip-prosody`)",
    overrides: { ...MIXED, ...PROSODY, "eval.speakerNorm": "per-clip-prosody" },
  },
  {
    name: "mixed+ens3+prosody-clip+pitch3",
    change: "mixed+ens3+prosody-clip with two more rows per clip, shifted 3 semitones down and up",
    overrides: { ...MIXED, ...PROSODY, ...PITCH3, "eval.speakerNorm": "per-clip-prosody" },
  },
  {
    name: "mixed+spk+ens3+prosody+pitch3+avg5+linear",
    change:
      "the default of session 16: the prosody default with the 3-semitone rows, weight averaging and a linear member on six statistics of every input column at 0.25",
    overrides: LINEAR_SESSION16,
  },
  {
    name: "mixed+spk+ens3+prosody+pitch3+avg5+linear15",
    change:
      "the default of session 17: the linear member on fifteen statistics of every input column (shape, extremes, curvature and frame-to-frame movement too) at 0.5",
    overrides: LINEAR15_SESSION17,
  },
  {
    name: "mixed+spk+ens3+prosody+pitch3+avg5+linear15+vbn",
    change:
      "the default since session 18: each test voice's networks take their batch-norm statistics from that voice's recordings and map its pooled embeddings onto the training voices' (`--eval.voiceBatchNorm --eval.voiceEmbeddingNorm`)",
    overrides: {
      ...LINEAR15_SESSION17,
      "eval.voiceBatchNorm": "true",
      "eval.voiceEmbeddingNorm": "true",
    },
  },
];

export function variantByName(name: string): AblationVariant {
  const v = ABLATION_VARIANTS.find((x) => x.name === name);
  if (!v) {
    throw new Error(
      `unknown ablation variant '${name}'; variants: ${
        ABLATION_VARIANTS.map((x) => x.name).join(", ")
      }`,
    );
  }
  return v;
}

export interface AblationRow {
  name: string;
  change: string;
  seeds: number[];
  runIds: string[];
  /** Over every fold of every seed. */
  accuracy: Spread;
  /** The spread of per-seed mean accuracies. */
  seedAccuracy: Spread;
  macroF1: Spread;
  uar: Spread;
  accuracy7?: Spread;
  /** Training seconds per run (all folds), mean over seeds. */
  trainSeconds: number;
}

/** One table row from a variant's runs (one per seed). */
export function ablationRow(
  variant: AblationVariant,
  runs: readonly { seed: number; summary: RunSummary }[],
): AblationRow {
  if (!runs.length) throw new Error(`ablation ${variant.name}: no runs`);
  const folds = runs.flatMap((r) => r.summary.folds);
  const has7 = folds.every((f) => f.metrics7);
  return {
    name: variant.name,
    change: variant.change,
    seeds: runs.map((r) => r.seed),
    runIds: runs.map((r) => r.summary.runId),
    accuracy: meanStd(folds.map((f) => f.metrics.accuracy)),
    seedAccuracy: meanStd(runs.map((r) => r.summary.primary.accuracy.mean)),
    macroF1: meanStd(folds.map((f) => f.metrics.macroF1)),
    uar: meanStd(folds.map((f) => f.metrics.uar)),
    accuracy7: has7 ? meanStd(folds.map((f) => f.metrics7!.accuracy)) : undefined,
    trainSeconds:
      runs.reduce((s, r) => s + r.summary.folds.reduce((t, f) => t + f.trainSeconds, 0), 0) /
      runs.length,
  };
}

/** Accuracy, macro-F1 and UAR of one fold's clips, from averaged probabilities. */
function foldScores(rows: { truth: string; probs: number[] }[], labels: readonly string[]) {
  const truth = rows.map((r) => labels.indexOf(r.truth));
  const predicted = rows.map((r) => r.probs.indexOf(Math.max(...r.probs)));
  return metricsFromConfusion(confusionMatrix(truth, predicted, labels.length), labels);
}

/** Networks per fold in one run of the variant (`train.ensemble`, 1 when it does not say). */
const membersOf = (variant: AblationVariant) => Number(variant.overrides["train.ensemble"] ?? 1);

/**
 * A seed ensemble, scored from the runs' stored test predictions: for every fold, each test
 * clip's probabilities are averaged over the seeds' models, then scored as one model per fold
 * (costing every seed's training). 7-class scores add calm's probability to neutral's.
 */
export function seedEnsembleRow(
  variant: AblationVariant,
  runs: readonly { seed: number; summary: RunSummary; predictions: readonly PredictionRow[] }[],
): AblationRow {
  if (runs.length < 2) throw new Error(`ensemble ${variant.name}: needs 2 or more seeds`);
  const labels = runs[0].summary.primary.labels;
  const byClip = new Map<string, { fold: string; truth: string; sum: number[]; n: number }>();
  for (const run of runs) {
    for (const p of run.predictions) {
      const key = `${p.fold}/${p.clip}`;
      const e = byClip.get(key) ?? { fold: p.fold, truth: p.truth, sum: labels.map(() => 0), n: 0 };
      labels.forEach((l, c) => (e.sum[c] += p.probabilities[l]));
      e.n++;
      byClip.set(key, e);
    }
  }
  const clips = [...byClip.values()];
  if (clips.some((e) => e.n !== runs.length)) {
    throw new Error(`ensemble ${variant.name}: the seeds' runs do not test the same clips`);
  }
  const folds = [...new Set(clips.map((e) => e.fold))].sort();
  const eight = folds.map((f) =>
    foldScores(
      clips.filter((e) => e.fold === f).map((e) => ({ truth: e.truth, probs: e.sum })),
      labels,
    )
  );
  const merged = labels.length === 8 ? labels.filter((l) => l !== "calm") : null;
  const seven = merged
    ? folds.map((f) =>
      foldScores(
        clips.filter((e) => e.fold === f).map((e) => ({
          truth: e.truth === "calm" ? "neutral" : e.truth,
          probs: merged.map((l) =>
            l === "neutral"
              ? e.sum[labels.indexOf("neutral")] + e.sum[labels.indexOf("calm")]
              : e.sum[labels.indexOf(l)]
          ),
        })),
        merged,
      )
    )
    : null;
  const accuracy = meanStd(eight.map((m) => m.accuracy));
  return {
    name: `${variant.name}, ${runs.length}-seed ensemble`,
    change: `the ${runs.length} seeds' runs averaged per clip (${
      runs.length * membersOf(variant)
    } networks per fold)`,
    seeds: runs.map((r) => r.seed),
    runIds: runs.map((r) => r.summary.runId),
    accuracy,
    seedAccuracy: { mean: accuracy.mean, std: 0, values: [accuracy.mean] },
    macroF1: meanStd(eight.map((m) => m.macroF1)),
    uar: meanStd(eight.map((m) => m.uar)),
    accuracy7: seven ? meanStd(seven.map((m) => m.accuracy)) : undefined,
    trainSeconds: runs.reduce(
      (s, r) => s + r.summary.folds.reduce((t, f) => t + f.trainSeconds, 0),
      0,
    ),
  };
}

const pct = (s: Spread) => `${(100 * s.mean).toFixed(1)} ± ${(100 * s.std).toFixed(1)}`;

/** Rows as display records (for tables in notebooks, reports and the markdown file). */
export function ablationTableRows(rows: readonly AblationRow[]): Record<string, string>[] {
  return rows.map((r) => ({
    variant: r.name,
    "what changed": r.change,
    seeds: r.seeds.join(" "),
    "accuracy % (folds x seeds)": pct(r.accuracy),
    "accuracy % (seed means)": r.name.endsWith("ensemble")
      ? "one ensemble"
      : r.seeds.length > 1
      ? pct(r.seedAccuracy)
      : "1 seed",
    "macro-F1": `${r.macroF1.mean.toFixed(3)} ± ${r.macroF1.std.toFixed(3)}`,
    "UAR %": pct(r.uar),
    "7-class acc %": r.accuracy7 ? pct(r.accuracy7) : "",
    "train min/run": (r.trainSeconds / 60).toFixed(1),
  }));
}

export function markdownTable(rows: readonly Record<string, string>[]): string {
  if (!rows.length) return "";
  const keys = Object.keys(rows[0]);
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(keys),
    line(keys.map(() => "---")),
    ...rows.map((r) => line(keys.map((k) => r[k].replaceAll("|", "\\|")))),
  ].join("\n") + "\n";
}

/** Table rows for a stored study, or one row that says how to make it. */
export function ablationDisplayRows(
  stored: { protocol: string; rows: AblationRow[] } | null,
): Record<string, string>[] {
  if (!stored || !stored.rows.length) {
    return [{
      ablation: "no study in this results folder yet: `deno task ablation` trains and tabulates it",
    }];
  }
  return ablationTableRows(stored.rows);
}
