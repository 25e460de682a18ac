/**
 * Every setting checked before any work, one validator per config section; the allowed values
 * of named settings are the same `as const` arrays their types come from. A problem names the
 * setting and what it got. Pure.
 */
import { CORPUS_NAMES, LABEL_SET_NAMES } from "../schema/corpus.ts";
import { FUNCTIONAL_STATISTICS } from "../schema/functionals.ts";
import { inputContains, inputParts, TEMPORAL_INPUTS } from "../schema/inputs.ts";
import {
  GEMM_MODES,
  LR_SCHEDULES,
  MODEL_NAMES,
  NOISE_KINDS,
  PAD_MODES,
  PROTOCOLS,
  RESAMPLERS,
  type RunConfig,
  SHIFT_MODES,
  SPEAKER_NORMS,
  STRICT_NORMS,
  TEMPORAL_POOLINGS,
  TRAIN_ENGINES,
  TRAIN_KERNELS,
  VOCODERS,
} from "./defaults.ts";
import { parseStep } from "./recipe.ts";

type Problems = string[];

/** Corpora of the user's own: their labels come from the corpus, not from a table here. */
const USER_CORPORA: readonly string[] = ["manifest", "audiofolder"];

/** `name` must be one of `allowed`. */
function oneOf(p: Problems, name: string, value: unknown, allowed: readonly string[]): boolean {
  if (allowed.includes(value as string)) return true;
  p.push(`${name} must be one of ${allowed.join(", ")} (got ${value})`);
  return false;
}

const isInt = (v: unknown): v is number => Number.isInteger(v);

function validateTop(c: RunConfig, p: Problems): void {
  if (!Number.isSafeInteger(c.seed)) p.push(`seed must be an integer (got ${c.seed})`);
  if (!isInt(c.workers) || c.workers < 0) p.push("workers must be an integer >= 0");
  oneOf(p, "model", c.model, MODEL_NAMES);
}

function validateFeatures({ features: f }: RunConfig, p: Problems): void {
  if (!isInt(f.nFft) || f.nFft < 16 || (f.nFft & (f.nFft - 1)) !== 0) {
    p.push(`features.nFft must be a power of two >= 16 (got ${f.nFft})`);
  }
  if (!isInt(f.hopLength) || f.hopLength < 1) p.push("features.hopLength must be >= 1");
  oneOf(p, "features.padMode", f.padMode, PAD_MODES);
  for (const k of ["nMels", "nMfcc", "nChroma", "sequenceMels"] as const) {
    if (!isInt(f[k]) || f[k] < 1) p.push(`features.${k} must be a positive integer`);
  }
  if (f.nMfcc > f.nMels) p.push("features.nMfcc cannot exceed features.nMels");
  if (!(f.topDb > 0)) {
    p.push(`features.topDb must be > 0 dB (the floor below each clip's peak; got ${f.topDb})`);
  }
}

function validateData(c: RunConfig, p: Problems): void {
  const d = c.data;
  if (oneOf(p, "data.corpus", d.corpus, CORPUS_NAMES) && d.corpus !== "ravdess") {
    if (c.eval.labels !== "8class") {
      p.push(
        `eval.labels=${c.eval.labels} is RAVDESS's (calm merged into neutral); ${d.corpus} has its own emotions`,
      );
    }
  }
  if (typeof d.dir !== "string") p.push("data.dir must be a folder path");
  if (!Array.isArray(d.trainAlso)) p.push("data.trainAlso must be a list like [emodb]");
  else {
    for (const name of d.trainAlso) {
      if (!CORPUS_NAMES.includes(name)) {
        p.push(`data.trainAlso: ${name} is not one of ${CORPUS_NAMES.join(", ")}`);
      } else if (name === d.corpus || name === d.testCorpus) {
        p.push(`data.trainAlso: ${name} is already the run's corpus or test corpus`);
      }
    }
    if (new Set(d.trainAlso).size !== d.trainAlso.length) {
      p.push("data.trainAlso lists a corpus twice");
    }
    if (d.trainAlso.length && !["speaker", "cross-corpus"].includes(c.eval.protocol)) {
      p.push("data.trainAlso needs a speaker-independent protocol (speaker or cross-corpus)");
    }
  }
  if (d.testCorpus !== "") oneOf(p, "data.testCorpus", d.testCorpus, CORPUS_NAMES);
  if (c.eval.protocol === "cross-corpus") {
    if (d.testCorpus === "") {
      p.push("eval.protocol=cross-corpus needs --data.testCorpus=NAME (the corpus to test on)");
    } else if (d.testCorpus === d.corpus) {
      p.push(
        `data.testCorpus=${d.testCorpus} is the training corpus too; cross-corpus tests on another one`,
      );
    }
  } else if (d.testCorpus !== "") {
    p.push(`data.testCorpus is read by --eval.protocol=cross-corpus only`);
  }
  if (!Array.isArray(d.ownLabels) || !d.ownLabels.every((l) => typeof l === "string" && l !== "")) {
    p.push("data.ownLabels must be a list of emotion names (filled in from your corpus)");
  } else if (d.ownLabels.length && !USER_CORPORA.includes(d.corpus)) {
    p.push(
      `data.ownLabels is read for manifest and audiofolder corpora only (${d.corpus} has its own)`,
    );
  }
  if (d.speakerPattern !== "") {
    try {
      new RegExp(d.speakerPattern);
    } catch (err) {
      p.push(`data.speakerPattern is not a regular expression: ${(err as Error).message}`);
    }
  }
  if (USER_CORPORA.includes(d.corpus) && d.trainAlso.length) {
    p.push(`data.trainAlso does not mix with a ${d.corpus} corpus (its labels are its own)`);
  }
  if (d.url !== "" && !/^(https?|file):\/\//.test(d.url)) {
    p.push(`data.url must be an http(s) or file URL, or empty (got ${d.url})`);
  }
  if (d.md5 !== "" && !/^[0-9a-fA-F]{32}$/.test(d.md5)) {
    p.push(`data.md5 must be 32 hex digits, or empty to skip the check (got ${d.md5})`);
  }
}

function validateSplit({ split: sp }: RunConfig, p: Problems): void {
  const actorList = (name: string, v: unknown) => {
    if (!Array.isArray(v) || !v.every((x) => isInt(x) && x >= 1)) {
      p.push(`split.${name} must be a list of actor numbers like [7,8] (got ${JSON.stringify(v)})`);
      return [];
    }
    if (new Set(v).size !== v.length) p.push(`split.${name} lists an actor twice`);
    return v as number[];
  };
  const test = actorList("testActors", sp.testActors);
  for (const actor of actorList("valActors", sp.valActors)) {
    if (test.includes(actor)) p.push(`split: actor ${actor} is both a test and a validation actor`);
  }
  if (!isInt(sp.folds) || sp.folds < 2) {
    p.push(
      `split.folds must be an integer >= 2 (got ${sp.folds}; one fold would leave nothing to train on)`,
    );
  }
}

/** Problems of a list of recipe rows (`augment.recipe`, `eval.tta`), each naming `what`. */
function recipeRowProblems(what: string, rows: unknown, p: Problems): void {
  if (!Array.isArray(rows)) {
    p.push(`${what} must be a list of rows like ["original","noise"]`);
    return;
  }
  for (const row of rows) {
    if (typeof row !== "string") {
      p.push(`${what}: ${JSON.stringify(row)} is not a row like "stretch+pitch"`);
      continue;
    }
    for (const text of row.split("+")) {
      const step = parseStep(text);
      if (typeof step === "string") {
        p.push(
          `${what}: row '${row}': ${step} (join steps with + as in stretch+pitch; sizes as in pitch@-2)`,
        );
      }
    }
  }
  if (new Set(rows).size !== rows.length) p.push(`${what} lists a row twice`);
}

function validateAugment({ augment: au }: RunConfig, p: Problems): void {
  if (Array.isArray(au.recipe) && au.recipe.length === 0) {
    p.push(`augment.recipe must be a non-empty list of rows like ["original","noise"]`);
  } else {
    recipeRowProblems("augment.recipe", au.recipe, p);
  }
  oneOf(p, "augment.noise", au.noise, NOISE_KINDS);
  if (!(au.noiseFactor >= 0)) p.push(`augment.noiseFactor must be >= 0 (got ${au.noiseFactor})`);
  if (!Number.isFinite(au.noiseSnrDb)) p.push("augment.noiseSnrDb must be a number");
  if (!(au.stretchRate > 0 && au.stretchRate <= 4)) {
    p.push(`augment.stretchRate must be in (0, 4] (got ${au.stretchRate})`);
  }
  if (!(Math.abs(au.pitchSemitones) <= 24)) {
    p.push(`augment.pitchSemitones must be within +-24 (got ${au.pitchSemitones})`);
  }
  if (!isInt(au.shiftMaxSamples) || au.shiftMaxSamples < 0) {
    p.push(`augment.shiftMaxSamples must be an integer >= 0 (got ${au.shiftMaxSamples})`);
  }
  oneOf(p, "augment.shiftMode", au.shiftMode, SHIFT_MODES);
  oneOf(p, "augment.vocoder", au.vocoder, VOCODERS);
}

function validateAudio({ audio: a }: RunConfig, p: Problems): void {
  if (!isInt(a.sampleRateHz) || a.sampleRateHz < 1000) {
    p.push(`audio.sampleRateHz must be an integer >= 1000 (got ${a.sampleRateHz})`);
  }
  if (!(a.offsetS >= 0)) p.push("audio.offsetS must be >= 0");
  if (!(a.durationS > 0)) p.push("audio.durationS must be > 0");
  oneOf(p, "audio.resampler", a.resampler, RESAMPLERS);
  if (!(a.trimDb >= 0)) p.push(`audio.trimDb must be >= 0 (got ${a.trimDb})`);
  if (!(a.windowHopS >= 0)) p.push(`audio.windowHopS must be >= 0 (got ${a.windowHopS})`);
  else if (a.windowHopS > 0 && a.windowHopS < 0.1) {
    p.push(`audio.windowHopS must be 0 (off) or at least 0.1 s (got ${a.windowHopS})`);
  }
}

function validateTemporal(c: RunConfig, p: Problems): void {
  const t = c.temporal;
  const inputOk = oneOf(p, "temporal.input", t.input, TEMPORAL_INPUTS);
  for (const part of t.memberInputs) {
    if (!TEMPORAL_INPUTS.includes(part)) {
      p.push(`temporal.memberInputs: ${part} is not one of ${TEMPORAL_INPUTS.join(", ")}`);
    } else if (inputOk && !inputContains(t.input, part)) {
      p.push(
        `temporal.memberInputs: ${part} is not part of temporal.input=${t.input} (members see a contiguous part of the input, e.g. logmel or mfccDeltaProsody of logmelMfccDeltaProsody)`,
      );
    }
  }
  if (!t.filters.length || !t.filters.every((n) => isInt(n) && n > 0)) {
    p.push("temporal.filters must be a non-empty list of positive integers");
  }
  if (
    !Array.isArray(t.dilations) || !t.dilations.every((d) => isInt(d) && d >= 1) ||
    (t.dilations.length && t.dilations.length !== t.filters.length)
  ) {
    p.push(
      `temporal.dilations must be empty or one integer >= 1 per block of temporal.filters (got ${
        JSON.stringify(t.dilations)
      })`,
    );
  } else if (t.dilations.some((d) => d > 1) && c.train.engine !== "static") {
    p.push("temporal.dilations above 1 need train.engine=static (tfjs has no dilated gradient)");
  }
  if (!isInt(t.squeezeExcite) || t.squeezeExcite < 0) {
    p.push(`temporal.squeezeExcite must be 0 (none) or an integer >= 1 (got ${t.squeezeExcite})`);
  }
  if (!isInt(t.kernelSize) || t.kernelSize < 1) {
    p.push(`temporal.kernelSize must be an integer >= 1 (got ${t.kernelSize})`);
  }
  if (!isInt(t.denseUnits) || t.denseUnits < 1) {
    p.push(`temporal.denseUnits must be an integer >= 1 (got ${t.denseUnits})`);
  }
  if (!(t.dropout >= 0 && t.dropout < 1)) p.push("temporal.dropout must be in [0, 1)");
  oneOf(p, "temporal.pooling", t.pooling, TEMPORAL_POOLINGS);
}

function validateTrain(c: RunConfig, p: Problems): void {
  const tr = c.train;
  for (const k of ["epochs", "batchSize", "lrPatience"] as const) {
    if (!isInt(tr[k]) || tr[k] < 1) p.push(`train.${k} must be an integer >= 1`);
  }
  if (!(tr.learningRate > 0)) p.push("train.learningRate must be > 0");
  if (!(tr.minLr >= 0 && tr.minLr <= tr.learningRate)) {
    p.push(`train.minLr must be from 0 to train.learningRate (got ${tr.minLr})`);
  }
  oneOf(p, "train.lrSchedule", tr.lrSchedule, LR_SCHEDULES);
  if (!isInt(tr.averageLast) || tr.averageLast < 0) {
    p.push(`train.averageLast must be an integer >= 0 (got ${tr.averageLast})`);
  }
  if (!(Number.isFinite(tr.speakerAdversary) && tr.speakerAdversary >= 0)) {
    p.push(`train.speakerAdversary must be a number >= 0 (got ${tr.speakerAdversary})`);
  } else if (tr.speakerAdversary > 0 && tr.engine !== "static") {
    p.push("train.speakerAdversary needs train.engine=static (tfjs's engine has no such head)");
  }
  if (!(tr.lrFactor > 0 && tr.lrFactor <= 1)) p.push("train.lrFactor must be in (0, 1]");
  if (!isInt(tr.threads) || tr.threads < 0) p.push("train.threads must be an integer >= 0");
  if (!isInt(tr.parallel) || tr.parallel < 0) {
    p.push("train.parallel must be an integer >= 0");
  } else if (tr.threads !== 1 && tr.parallel !== 1) {
    // OpenBLAS keeps one thread pool per process; several networks sharing it is not safe.
    p.push(
      `train.threads=${tr.threads} needs train.parallel=1 (networks training side by side use one BLAS thread each)`,
    );
  }
  oneOf(p, "train.engine", tr.engine, TRAIN_ENGINES);
  oneOf(p, "train.kernels", tr.kernels, TRAIN_KERNELS);
  oneOf(p, "train.gemm", tr.gemm, GEMM_MODES);
  for (const k of ["specTimeMasks", "specTimeWidth", "specFreqMasks", "specFreqWidth"] as const) {
    if (!isInt(tr[k]) || tr[k] < 0) p.push(`train.${k} must be an integer >= 0`);
  }
  if (!(tr.mixupAlpha >= 0)) p.push("train.mixupAlpha must be >= 0");
  if (!(tr.labelSmoothing >= 0 && tr.labelSmoothing < 1)) {
    p.push(`train.labelSmoothing must be in [0, 1) (got ${tr.labelSmoothing})`);
  }
  if (!(tr.weightDecay >= 0)) p.push(`train.weightDecay must be >= 0 (got ${tr.weightDecay})`);
  if (!isInt(tr.ensemble) || tr.ensemble < 1) {
    p.push(`train.ensemble must be an integer >= 1 (got ${tr.ensemble})`);
  }
  if (!(tr.linearWeight >= 0 && tr.linearWeight < 1)) {
    p.push(`train.linearWeight must be in [0, 1) (got ${tr.linearWeight})`);
  }
  if (!(tr.voiceSwap >= 0 && tr.voiceSwap <= 1)) {
    p.push(`train.voiceSwap must be in [0, 1] (got ${tr.voiceSwap})`);
  }
  if (!(tr.linearLambda > 0)) p.push(`train.linearLambda must be > 0 (got ${tr.linearLambda})`);
  const stats = tr.linearStatistics;
  if (!Array.isArray(stats) || !stats.length) {
    p.push("train.linearStatistics must be a non-empty list of statistics");
  } else {
    for (const s of stats) oneOf(p, "train.linearStatistics", s, FUNCTIONAL_STATISTICS);
    if (new Set(stats).size !== stats.length) {
      p.push(`train.linearStatistics names a statistic twice (${stats.join(",")})`);
    }
  }
}

function validateEval(c: RunConfig, p: Problems): void {
  const e = c.eval;
  oneOf(p, "eval.protocol", e.protocol, PROTOCOLS);
  oneOf(p, "eval.labels", e.labels, LABEL_SET_NAMES);
  if (!(e.testFraction > 0 && e.testFraction < 1)) p.push("eval.testFraction must be in (0, 1)");
  validateTta(c, p);
  if (!(e.clipBatchNorm >= 0 && Number.isFinite(e.clipBatchNorm))) {
    p.push(`eval.clipBatchNorm must be a number >= 0 (got ${e.clipBatchNorm})`);
  }
  oneOf(p, "eval.strictNorm", e.strictNorm, STRICT_NORMS);
  if (!oneOf(p, "eval.speakerNorm", e.speakerNorm, SPEAKER_NORMS)) return;
  // The two settings whose policy fits a voice's statistics (lib/normalise/policy.ts).
  if (e.augmentedAsVoices && !["per-speaker", "online"].includes(e.speakerNorm)) {
    p.push(
      `eval.augmentedAsVoices needs a speakerNorm that fits a voice's statistics (per-speaker, online; got ${e.speakerNorm})`,
    );
  }
  if (e.speakerNorm.startsWith("per-clip") && c.model === "seed") {
    p.push(`eval.speakerNorm=${e.speakerNorm} needs frame inputs (--model=temporal)`);
  } else if (
    // The settings whose policy z-scores the prosody block per clip (normalise/policy.ts).
    e.speakerNorm.startsWith("per-clip-prosody") &&
    TEMPORAL_INPUTS.includes(c.temporal.input) &&
    !inputParts(c.temporal.input).includes("prosody")
  ) {
    p.push(
      `eval.speakerNorm=${e.speakerNorm} needs prosody in temporal.input (got ${c.temporal.input})`,
    );
  }
}

function validateTta(c: RunConfig, p: Problems): void {
  const { tta } = c.eval;
  recipeRowProblems("eval.tta", tta, p);
  if (!Array.isArray(tta) || !tta.length) return;
  if (tta.includes("original")) {
    p.push("eval.tta: 'original' is the clip itself, always scored; list only its variants");
  }
  if (c.eval.speakerNorm === "online") {
    // Online statistics count every clip met; a clip's variants would count as more clips.
    p.push("eval.tta does not combine with eval.speakerNorm=online");
  }
  if (c.data.trainAlso.length || c.eval.protocol === "cross-corpus") {
    p.push(
      "eval.tta scores the run's own corpus: it does not combine with data.trainAlso or cross-corpus",
    );
  }
}

function validateLive({ live: l }: RunConfig, p: Problems): void {
  if (!(l.windowS > 0 && l.hopS > 0 && l.timelineS > 0 && l.fileHopS > 0)) {
    p.push("live.windowS, live.hopS, live.fileHopS and live.timelineS must be > 0");
  }
  if (!(l.ownVoiceMinS >= 0)) p.push("live.ownVoiceMinS must be >= 0 seconds");
  if (!(l.minVoicedS >= 0 && l.minVoicedS <= l.windowS)) {
    p.push("live.minVoicedS must be between 0 and live.windowS");
  }
  if (!(l.gateDbfs < 0)) p.push("live.gateDbfs must be below 0 dB");
}

const SECTIONS = [
  validateTop,
  validateFeatures,
  validateData,
  validateSplit,
  validateAugment,
  validateAudio,
  validateTemporal,
  validateTrain,
  validateEval,
  validateLive,
];

/** Throws one error listing every problem of `c`, each naming its setting. */
export function validateConfig(c: RunConfig): void {
  const problems: Problems = [];
  for (const section of SECTIONS) section(c, problems);
  if (problems.length) throw new Error(`invalid configuration:\n  ${problems.join("\n  ")}`);
}
