/**
 * The one configuration object. Every default lives here; every stage reads its section; every
 * result records the whole object; `--key=value` on the command line overrides any leaf
 * (`--features.nMels=64`, or `--nMels=64` when the leaf name is unique).
 *
 * Pure: no Deno APIs.
 */
import { sha256Hex } from "../util/hash.ts";
import { GEMM_MODES, type GemmMode } from "../model/gemm.ts";

export const ZENODO_RAVDESS_URL =
  "https://zenodo.org/records/1188976/files/Audio_Speech_Actors_01-24.zip?download=1";
export const ZENODO_RAVDESS_MD5 = "bc696df654c87fed845eb13823edef8a";

export interface DataConfig {
  /** Corpus folder; empty means: `RAVDESS_DIR`, then `data/ravdess`, then `../shared/ravdess`. */
  dir: string;
  /** Where the corpus archive is fetched from when no folder is found. */
  url: string;
  /** Expected MD5 of the archive; empty skips the check (for tests with their own archives). */
  md5: string;
  /** Download the corpus when it is not found (otherwise fail with a message). */
  download: boolean;
}

export interface AudioConfig {
  sampleRateHz: number;
  /** librosa.load offset: the classic recipe skips the silent lead-in. */
  offsetS: number;
  durationS: number;
  resampler: "kaiser_best";
}

export interface FeatureConfig {
  nFft: number;
  hopLength: number;
  padMode: "constant" | "reflect";
  nMels: number;
  nMfcc: number;
  nChroma: number;
  topDb: number;
  /** Mel bands of the log-mel frame sequences fed to temporal models. */
  sequenceMels: number;
}

export interface SplitConfig {
  /** Held-out test actors; empty means k-fold cross-validation by actor (`folds` groups). */
  testActors: number[];
  /** Validation actors (for LR schedule / early stopping), taken from the training side. */
  valActors: number[];
  folds: number;
}

/** A recipe step; `a+b` applies a then b to the same clip. */
export type AugmentStep = "original" | "noise" | "stretch" | "pitch" | "shift";

export interface AugmentConfig {
  /** Rows each training clip yields, e.g. the classic `["original", "noise", "stretch+pitch"]`. */
  recipe: string[];
  /** `classic`: y + f * U(0,1) * max(y) * N(0,1); `snr`: Gaussian noise at `noiseSnrDb`. */
  noise: "classic" | "snr";
  noiseFactor: number;
  noiseSnrDb: number;
  /** < 1 slows down: 0.8 makes a clip 25 % longer at the same pitch. */
  stretchRate: number;
  pitchSemitones: number;
  shiftMaxSamples: number;
  /** `roll` wraps around like np.roll (speech onto silence); `silence` pads without wrapping. */
  shiftMode: "roll" | "silence";
  /** `fast`: phasor phase vocoder; `librosa`: librosa's float32 arithmetic (slower, closer). */
  vocoder: "fast" | "librosa";
}

/** Which network trains: the classic recipe's Conv1D on the 162-vector, or the frame model. */
export type ModelName = "seed" | "temporal";

export type TemporalInput = "logmel" | "mfccDelta" | "logmelMfccDelta";
export const TEMPORAL_INPUTS: readonly TemporalInput[] = ["logmel", "mfccDelta", "logmelMfccDelta"];

/** Whether a member can see `part` of the run's `whole` input (both halves live in the combined one). */
export function inputContains(whole: TemporalInput, part: TemporalInput): boolean {
  return whole === part || whole === "logmelMfccDelta";
}

export interface TemporalConfig {
  /**
   * Frame features fed to the temporal model: log-mel bands, MFCC + deltas, or both side by
   * side in each frame.
   */
  input: TemporalInput;
  /**
   * What each ensemble member sees of `input`, in turn (member m takes entry m mod length):
   * e.g. `["logmel", "mfccDelta"]` of `logmelMfccDelta`. Networks that look at different
   * features make different mistakes, so their average gains more than another seed's does.
   * Empty: every member sees all of `input`.
   */
  memberInputs: TemporalInput[];
  /** Filters per Conv1D block (conv -> batch norm -> relu -> max-pool 2). */
  filters: number[];
  kernelSize: number;
  dropout: number;
  denseUnits: number;
}

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** ReduceLROnPlateau on the training loss, as in the seed recipe. */
  lrFactor: number;
  lrPatience: number;
  minLr: number;
  /**
   * BLAS threads per network; 0 means one per core. Native BLAS splits its sums differently
   * for different thread counts, so the last digits of a run depend on this setting: keep it 1
   * (the default) and results do not depend on the machine's core count.
   */
  threads: number;
  /**
   * Networks trained at once (fold x ensemble member jobs), each in its own worker; 0 means one
   * per core. Changes wall time only: a network's numbers do not depend on where it trains.
   */
  parallel: number;
  /**
   * The matrix multiply: `auto` is native BLAS through FFI when it loads, else the portable
   * WebAssembly SIMD kernel; `blas`, `wasm` and `js` (the slow reference) insist on one.
   */
  gemm: GemmMode;
  /**
   * `fused`: batch norm, ReLU and Adam as one pass each with hand-written gradients
   * (`model/fused.ts`); `stock`: tfjs's own kernel chains. Equal up to float rounding.
   */
  kernels: "fused" | "stock";
  /**
   * Weight each class's loss by n / (classes * count), Keras `class_weight` style: RAVDESS has
   * half as many neutral clips as any other emotion.
   */
  classBalance: boolean;
  /** SpecAugment on frame inputs: this many time masks per row, each up to `specTimeWidth` frames. */
  specTimeMasks: number;
  specTimeWidth: number;
  /** Frequency masks per row, each up to `specFreqWidth` feature bands. */
  specFreqMasks: number;
  specFreqWidth: number;
  /** mixup: pairs of rows blended with a Beta(alpha, alpha) weight; 0 turns it off. */
  mixupAlpha: number;
  /** Label smoothing: targets become (1 - e) one-hot + e / classes; 0 turns it off. */
  labelSmoothing: number;
  /**
   * Decoupled weight decay (AdamW style) on conv and dense kernels: after each step every
   * kernel shrinks by learning rate x this; 0 turns it off.
   */
  weightDecay: number;
  /**
   * Networks trained per fold, member m with seed (fold seed + 100 m) on the same rows; their
   * probabilities are averaged. 1 trains a single network; k multiplies training time by k.
   */
  ensemble: number;
}

/**
 * `speaker`: held-out actors (explicit lists or k folds); `random`: stratified file split,
 * augmenting training files only; `seed-leaky`: the classic recipe (augment every file, then
 * split rows at random), kept to show how much leakage inflates accuracy.
 */
export type Protocol = "speaker" | "random" | "seed-leaky";

export type SpeakerNorm = "none" | "per-speaker" | "online";
export const SPEAKER_NORMS: readonly SpeakerNorm[] = ["none", "per-speaker", "online"];

export interface EvalConfig {
  protocol: Protocol;
  /** Label set the model trains on; 8-class runs also report 7 classes (calm merged). */
  labels: "8class" | "7class";
  /** Test share for the `random` and `seed-leaky` protocols. */
  testFraction: number;
  /**
   * `per-speaker`: before the global scaler, each actor's features are z-scored with that
   * actor's own mean and spread over their original clips, test actors included (their audio,
   * never their labels: a declared, transductive use of the test speakers' recordings).
   * `online`: as per-speaker for training actors; each test actor's clips are met one by one in
   * a seeded random order and each is z-scored with running statistics of that actor's clips so
   * far, itself included: what a live page can do with a voice it has only just started hearing.
   * `none`: only the global scaler fitted on training rows.
   */
  speakerNorm: SpeakerNorm;
}

/** The live page (`deno task serve`): how often it listens, and when it hears speech. */
export interface LiveConfig {
  /** Seconds of audio classified each time (the model's clip length). */
  windowS: number;
  /** Seconds between classifications. */
  hopS: number;
  /** A 20 ms frame louder than this (dB re full scale) counts as voiced. */
  gateDbfs: number;
  /** Voiced seconds a window needs before it is classified; less is shown as "no speech". */
  minVoicedS: number;
  /** Seconds of history the timeline keeps. */
  timelineS: number;
}

export interface RunConfig {
  seed: number;
  /** Parallel feature workers; 0 means one per core. */
  workers: number;
  cacheDir: string;
  data: DataConfig;
  audio: AudioConfig;
  features: FeatureConfig;
  split: SplitConfig;
  augment: AugmentConfig;
  model: ModelName;
  temporal: TemporalConfig;
  train: TrainConfig;
  eval: EvalConfig;
  live: LiveConfig;
  /** Where run folders go (`<resultsDir>/<run-id>/`). */
  resultsDir: string;
}

export const DEFAULT_CONFIG: RunConfig = {
  seed: 42,
  workers: 0,
  cacheDir: "data/cache",
  data: { dir: "", url: ZENODO_RAVDESS_URL, md5: ZENODO_RAVDESS_MD5, download: true },
  audio: { sampleRateHz: 22050, offsetS: 0.6, durationS: 2.5, resampler: "kaiser_best" },
  features: {
    nFft: 2048,
    hopLength: 512,
    padMode: "constant",
    nMels: 128,
    nMfcc: 20,
    nChroma: 12,
    topDb: 80,
    sequenceMels: 40,
  },
  split: { testActors: [], valActors: [], folds: 4 },
  augment: {
    recipe: ["original", "noise", "stretch+pitch"],
    noise: "classic",
    noiseFactor: 0.035,
    noiseSnrDb: 10,
    stretchRate: 0.8,
    pitchSemitones: 0.7,
    shiftMaxSamples: 5000,
    shiftMode: "roll",
    vocoder: "fast",
  },
  model: "temporal",
  temporal: {
    input: "logmelMfccDelta",
    memberInputs: ["mfccDelta", "logmel"],
    filters: [64, 128, 128],
    kernelSize: 5,
    dropout: 0.3,
    denseUnits: 64,
  },
  train: {
    epochs: 50,
    batchSize: 64,
    learningRate: 1e-3,
    lrFactor: 0.4,
    lrPatience: 2,
    minLr: 1e-7,
    threads: 1,
    parallel: 0,
    gemm: "auto",
    kernels: "fused",
    classBalance: false,
    specTimeMasks: 0,
    specTimeWidth: 10,
    specFreqMasks: 0,
    specFreqWidth: 6,
    mixupAlpha: 0,
    labelSmoothing: 0,
    weightDecay: 0,
    ensemble: 3,
  },
  eval: { protocol: "speaker", labels: "8class", testFraction: 0.25, speakerNorm: "per-speaker" },
  live: { windowS: 2.5, hopS: 0.5, gateDbfs: -45, minVoicedS: 0.3, timelineS: 60 },
  resultsDir: "results",
};

export const AUGMENT_STEPS: readonly AugmentStep[] = [
  "original",
  "noise",
  "stretch",
  "pitch",
  "shift",
];

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

function leafPaths(obj: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? leafPaths(v as Record<string, unknown>, `${prefix}${k}.`)
      : [`${prefix}${k}`]
  );
}

function getAt(obj: Record<string, unknown>, path: string): unknown {
  return path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], obj);
}

function setAt(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
  o[keys[keys.length - 1]] = value;
}

function coerce(path: string, raw: string, current: unknown): unknown {
  if (typeof current === "number") {
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n)) {
      throw new Error(`--${path}: expected a number, got '${raw}'`);
    }
    return n;
  }
  if (typeof current === "boolean") {
    if (raw === "true" || raw === "1" || raw === "") return true;
    if (raw === "false" || raw === "0") return false;
    throw new Error(`--${path}: expected true or false, got '${raw}'`);
  }
  if (Array.isArray(current)) {
    try {
      const v = JSON.parse(raw);
      if (Array.isArray(v)) return v;
    } catch { /* bare words, below */ }
    // Shells eat the quotes of ["logmel","mfccDelta"]: take [logmel,mfccDelta] as words too.
    const bare = /^\[([\w.+-]+(,[\w.+-]+)*)?\]$/.exec(raw.replace(/\s+/g, ""));
    if (bare) {
      return (bare[1] ?? "").split(",").filter(Boolean).map((w) =>
        Number.isFinite(Number(w)) ? Number(w) : w
      );
    }
    throw new Error(`--${path}: expected a JSON array like [1,2], got '${raw}'`);
  }
  // `--data=$DIR` with DIR unset must not quietly mean "search the usual places" (or download).
  if (raw.trim() === "") {
    throw new Error(`--${path}: needs a value, got an empty one (an unset shell variable?)`);
  }
  return raw;
}

/** Resolves `key` to a full leaf path: exact dotted path, or a unique leaf name. */
export function resolveKey(config: RunConfig, key: string): string {
  const paths = leafPaths(config as unknown as Record<string, unknown>);
  if (paths.includes(key)) return key;
  const byLeaf = paths.filter((p) => p.split(".").pop() === key || p.endsWith(`.${key}`));
  if (byLeaf.length === 1) return byLeaf[0];
  if (byLeaf.length > 1) {
    throw new Error(`--${key} is ambiguous: say one of ${byLeaf.map((p) => `--${p}`).join(", ")}`);
  }
  const lower = key.toLowerCase();
  const close = paths.filter((p) =>
    p.toLowerCase() === lower || p.toLowerCase().endsWith(`.${lower}`)
  );
  const hint = close.length ? ` (did you mean ${close.map((p) => `--${p}`).join(" or ")}?)` : "";
  throw new Error(
    `unknown setting --${key}${hint}; settings are: ${paths.map((p) => `--${p}`).join(" ")}`,
  );
}

export interface ParsedArgs {
  config: RunConfig;
  /** Arguments that are not `--key=value` settings (e.g. file paths). */
  positional: string[];
}

/** A deep copy of `base` with the overrides applied (the base is never mutated). */
export function withOverrides(base: RunConfig, overrides: Record<string, string>): RunConfig {
  const config = structuredClone(base) as RunConfig;
  for (const [key, raw] of Object.entries(overrides)) {
    const path = resolveKey(config, key);
    const cur = getAt(config as unknown as Record<string, unknown>, path);
    setAt(config as unknown as Record<string, unknown>, path, coerce(path, raw, cur));
  }
  validateConfig(config);
  return config;
}

/**
 * Parses command-line arguments: `--key=value`, `--key value` (when the next word is not a
 * flag) and the shorthand `--data DIR` for `--data.dir`. Everything else is positional.
 */
export function parseArgs(args: readonly string[], base: RunConfig = DEFAULT_CONFIG): ParsedArgs {
  const overrides: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    let key = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else if (i + 1 < args.length && !args[i + 1].startsWith("--")) value = args[++i];
    else value = "";
    if (key === "data") key = "data.dir";
    overrides[key] = value;
  }
  return { config: withOverrides(base, overrides), positional };
}

export function validateConfig(c: RunConfig): void {
  const f = c.features;
  const problems: string[] = [];
  if (!Number.isInteger(f.nFft) || f.nFft < 16 || (f.nFft & (f.nFft - 1)) !== 0) {
    problems.push(`features.nFft must be a power of two >= 16 (got ${f.nFft})`);
  }
  if (!Number.isInteger(f.hopLength) || f.hopLength < 1) {
    problems.push("features.hopLength must be >= 1");
  }
  if (f.padMode !== "constant" && f.padMode !== "reflect") {
    problems.push(`features.padMode must be constant or reflect (got ${f.padMode})`);
  }
  for (const k of ["nMels", "nMfcc", "nChroma", "sequenceMels"] as const) {
    if (!Number.isInteger(f[k]) || f[k] < 1) {
      problems.push(`features.${k} must be a positive integer`);
    }
  }
  if (f.nMfcc > f.nMels) problems.push("features.nMfcc cannot exceed features.nMels");
  if (!Number.isSafeInteger(c.seed)) problems.push(`seed must be an integer (got ${c.seed})`);
  const d = c.data;
  if (typeof d.dir !== "string") problems.push("data.dir must be a folder path");
  if (!/^(https?|file):\/\//.test(d.url)) {
    problems.push(`data.url must be an http(s) or file URL (got ${d.url})`);
  }
  if (d.md5 !== "" && !/^[0-9a-fA-F]{32}$/.test(d.md5)) {
    problems.push(`data.md5 must be 32 hex digits, or empty to skip the check (got ${d.md5})`);
  }
  const sp = c.split;
  const actorList = (name: string, v: unknown) => {
    if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x >= 1)) {
      problems.push(
        `split.${name} must be a list of actor numbers like [7,8] (got ${JSON.stringify(v)})`,
      );
      return [];
    }
    if (new Set(v).size !== v.length) problems.push(`split.${name} lists an actor twice`);
    return v as number[];
  };
  const test = actorList("testActors", sp.testActors);
  const val = actorList("valActors", sp.valActors);
  for (const actor of val) {
    if (test.includes(actor)) {
      problems.push(`split: actor ${actor} is both a test and a validation actor`);
    }
  }
  if (!Number.isInteger(sp.folds) || sp.folds < 2) {
    problems.push(
      `split.folds must be an integer >= 2 (got ${sp.folds}; one fold would leave nothing to train on)`,
    );
  }
  const au = c.augment;
  if (!Array.isArray(au.recipe) || au.recipe.length === 0) {
    problems.push(`augment.recipe must be a non-empty list of rows like ["original","noise"]`);
  } else {
    for (const row of au.recipe) {
      const steps = String(row).split("+");
      const bad = steps.filter((st) => !AUGMENT_STEPS.includes(st as AugmentStep));
      if (bad.length || typeof row !== "string") {
        problems.push(
          `augment.recipe: '${row}' has unknown step${bad.length > 1 ? "s" : ""} ${
            bad.join(", ")
          } (steps: ${AUGMENT_STEPS.join(", ")}, joined with + as in stretch+pitch)`,
        );
      }
    }
    if (new Set(au.recipe).size !== au.recipe.length) {
      problems.push("augment.recipe lists a row twice");
    }
  }
  if (au.noise !== "classic" && au.noise !== "snr") {
    problems.push(`augment.noise must be classic or snr (got ${au.noise})`);
  }
  if (!(au.noiseFactor >= 0)) {
    problems.push(`augment.noiseFactor must be >= 0 (got ${au.noiseFactor})`);
  }
  if (!Number.isFinite(au.noiseSnrDb)) problems.push("augment.noiseSnrDb must be a number");
  if (!(au.stretchRate > 0 && au.stretchRate <= 4)) {
    problems.push(`augment.stretchRate must be in (0, 4] (got ${au.stretchRate})`);
  }
  if (!(Math.abs(au.pitchSemitones) <= 24)) {
    problems.push(`augment.pitchSemitones must be within +-24 (got ${au.pitchSemitones})`);
  }
  if (!Number.isInteger(au.shiftMaxSamples) || au.shiftMaxSamples < 0) {
    problems.push(`augment.shiftMaxSamples must be an integer >= 0 (got ${au.shiftMaxSamples})`);
  }
  if (au.shiftMode !== "roll" && au.shiftMode !== "silence") {
    problems.push(`augment.shiftMode must be roll or silence (got ${au.shiftMode})`);
  }
  if (au.vocoder !== "fast" && au.vocoder !== "librosa") {
    problems.push(`augment.vocoder must be fast or librosa (got ${au.vocoder})`);
  }
  const a = c.audio;
  if (!Number.isInteger(a.sampleRateHz) || a.sampleRateHz < 1000) {
    problems.push(`audio.sampleRateHz must be an integer >= 1000 (got ${a.sampleRateHz})`);
  }
  if (!(a.offsetS >= 0)) problems.push("audio.offsetS must be >= 0");
  if (!(a.durationS > 0)) problems.push("audio.durationS must be > 0");
  if (a.resampler !== "kaiser_best") problems.push("audio.resampler must be kaiser_best");
  if (!Number.isInteger(c.workers) || c.workers < 0) {
    problems.push("workers must be an integer >= 0");
  }
  if (c.model !== "seed" && c.model !== "temporal") {
    problems.push(`model must be seed or temporal (got ${c.model})`);
  }
  const t = c.temporal;
  if (!TEMPORAL_INPUTS.includes(t.input)) {
    problems.push(`temporal.input must be one of ${TEMPORAL_INPUTS.join(", ")} (got ${t.input})`);
  }
  for (const part of t.memberInputs) {
    if (!TEMPORAL_INPUTS.includes(part)) {
      problems.push(
        `temporal.memberInputs: ${part} is not one of ${TEMPORAL_INPUTS.join(", ")}`,
      );
    } else if (TEMPORAL_INPUTS.includes(t.input) && !inputContains(t.input, part)) {
      problems.push(
        `temporal.memberInputs: ${part} is not part of temporal.input=${t.input} (use logmelMfccDelta to give members either)`,
      );
    }
  }
  if (!t.filters.length || !t.filters.every((n) => Number.isInteger(n) && n > 0)) {
    problems.push("temporal.filters must be a non-empty list of positive integers");
  }
  if (!(t.dropout >= 0 && t.dropout < 1)) problems.push("temporal.dropout must be in [0, 1)");
  const tr = c.train;
  for (const k of ["epochs", "batchSize", "lrPatience"] as const) {
    if (!Number.isInteger(tr[k]) || tr[k] < 1) problems.push(`train.${k} must be an integer >= 1`);
  }
  if (!(tr.learningRate > 0)) problems.push("train.learningRate must be > 0");
  if (!(tr.lrFactor > 0 && tr.lrFactor <= 1)) problems.push("train.lrFactor must be in (0, 1]");
  if (!Number.isInteger(tr.threads) || tr.threads < 0) {
    problems.push("train.threads must be an integer >= 0");
  }
  if (!Number.isInteger(tr.parallel) || tr.parallel < 0) {
    problems.push("train.parallel must be an integer >= 0");
  } else if (tr.threads !== 1 && tr.parallel !== 1) {
    // OpenBLAS keeps one thread pool per process; several networks sharing it is not safe.
    problems.push(
      `train.threads=${tr.threads} needs train.parallel=1 (networks training side by side use one BLAS thread each)`,
    );
  }
  if (tr.kernels !== "fused" && tr.kernels !== "stock") {
    problems.push(`train.kernels must be fused or stock (got ${tr.kernels})`);
  }
  if (!GEMM_MODES.includes(tr.gemm)) {
    problems.push(`train.gemm must be one of ${GEMM_MODES.join(", ")} (got ${tr.gemm})`);
  }
  for (const k of ["specTimeMasks", "specTimeWidth", "specFreqMasks", "specFreqWidth"] as const) {
    if (!Number.isInteger(tr[k]) || tr[k] < 0) problems.push(`train.${k} must be an integer >= 0`);
  }
  if (!(tr.mixupAlpha >= 0)) problems.push("train.mixupAlpha must be >= 0");
  if (!(tr.labelSmoothing >= 0 && tr.labelSmoothing < 1)) {
    problems.push(`train.labelSmoothing must be in [0, 1) (got ${tr.labelSmoothing})`);
  }
  if (!(tr.weightDecay >= 0)) {
    problems.push(`train.weightDecay must be >= 0 (got ${tr.weightDecay})`);
  }
  if (!Number.isInteger(tr.ensemble) || tr.ensemble < 1) {
    problems.push(`train.ensemble must be an integer >= 1 (got ${tr.ensemble})`);
  }
  const e = c.eval;
  if (!["speaker", "random", "seed-leaky"].includes(e.protocol)) {
    problems.push(`eval.protocol must be speaker, random or seed-leaky (got ${e.protocol})`);
  }
  if (e.labels !== "8class" && e.labels !== "7class") {
    problems.push(`eval.labels must be 8class or 7class (got ${e.labels})`);
  }
  if (!(e.testFraction > 0 && e.testFraction < 1)) {
    problems.push("eval.testFraction must be in (0, 1)");
  }
  if (!SPEAKER_NORMS.includes(e.speakerNorm)) {
    problems.push(`eval.speakerNorm must be ${SPEAKER_NORMS.join(", ")} (got ${e.speakerNorm})`);
  }
  const l = c.live;
  if (!(l.windowS > 0 && l.hopS > 0 && l.timelineS > 0)) {
    problems.push("live.windowS, live.hopS and live.timelineS must be > 0");
  }
  if (!(l.minVoicedS >= 0 && l.minVoicedS <= l.windowS)) {
    problems.push("live.minVoicedS must be between 0 and live.windowS");
  }
  if (!(l.gateDbfs < 0)) problems.push("live.gateDbfs must be below 0 dB");
  if (problems.length) throw new Error(`invalid configuration:\n  ${problems.join("\n  ")}`);
}

/** A stable JSON string (sorted keys) of any config section, for hashing. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): Json => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v as object).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v as Json;
  };
  return JSON.stringify(sort(value));
}

/** 16 hex digits naming a whole config: equal configs (any key order) hash alike. */
export async function configHash(config: RunConfig): Promise<string> {
  return (await sha256Hex(canonicalJson(config))).slice(0, 16);
}

/**
 * Settings that change how fast a run goes (or only how the live page uses it), not what it
 * computes: left out of `resultHash`, so a result trained with 1 BLAS thread is found again by a
 * config asking for 2.
 */
export const EXECUTION_KEYS = [
  "workers",
  "cacheDir",
  "resultsDir",
  "train.threads",
  "train.parallel",
  "live",
] as const;

/**
 * What a run recorded before a setting existed meant: the setting's "off" value (not today's
 * default, which may have moved since).
 */
const SETTINGS_BEFORE_THEY_EXISTED: Record<string, unknown> = {
  "eval.speakerNorm": "none",
  "train.classBalance": false,
  "train.specTimeMasks": 0,
  "train.specTimeWidth": 10,
  "train.specFreqMasks": 0,
  "train.specFreqWidth": 6,
  "train.mixupAlpha": 0,
  "temporal.memberInputs": [],
  "train.labelSmoothing": 0,
  "train.weightDecay": 0,
  "train.ensemble": 1,
  "train.kernels": "stock",
};

/** A stored config completed with the meaning of settings added after it was written. */
export function completeStoredConfig(stored: RunConfig): RunConfig {
  const config = structuredClone(stored) as unknown as Record<string, unknown>;
  for (const [path, value] of Object.entries(SETTINGS_BEFORE_THEY_EXISTED)) {
    if (getAt(config, path) === undefined) setAt(config, path, value);
  }
  return config as unknown as RunConfig;
}

/** 16 hex digits naming what a config computes: `configHash` without the execution settings. */
export async function resultHash(config: RunConfig): Promise<string> {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  for (const path of EXECUTION_KEYS) {
    const keys = path.split(".");
    let o = copy;
    for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
    delete o[keys[keys.length - 1]];
  }
  return (await sha256Hex(canonicalJson(copy))).slice(0, 16);
}
