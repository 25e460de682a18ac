/**
 * The configuration API: `--key=value` parsing (one parser for every command's flags), checks of
 * every section, canonical hashing, and reading configs that older runs stored. The defaults and
 * the schema are in `defaults.ts`, re-exported here. Pure: no Deno APIs.
 */
import { sha256Hex } from "../util/hash.ts";
import { spectralPart } from "../schema/inputs.ts";
import {
  CORPUS_ARCHIVES,
  CORPUS_AUDIO,
  CORPUS_NAMES,
  type CorpusAudio,
  type CorpusName,
} from "../schema/corpus.ts";
import {
  AUGMENT_STEPS,
  type AugmentStep,
  DEFAULT_CONFIG,
  GEMM_MODES,
  inputContains,
  inputParts,
  LEVERS_OFF,
  type RunConfig,
  SPEAKER_NORMS,
  TEMPORAL_INPUTS,
  type TemporalInput,
  TRAIN_ENGINES,
} from "./defaults.ts";

export * from "./defaults.ts";

export interface RecipeStep {
  kind: AugmentStep;
  /**
   * The step's own size where the recipe gives one (`pitch@-2`: semitones, `stretch@1.1`: rate),
   * so one recipe can hold shifts of several sizes; otherwise the config's value applies.
   */
  value?: number;
}

/** Steps that take a size after `@`. */
export const SIZED_STEPS: readonly AugmentStep[] = ["pitch", "stretch"];

/**
 * Reads one step like `pitch` or `pitch@-2.5`; a string saying what is wrong with it otherwise
 * (config validation reports it).
 */
export function parseStep(text: string): RecipeStep | string {
  const [kind, size, ...rest] = text.split("@");
  if (!(AUGMENT_STEPS as readonly string[]).includes(kind)) {
    return `unknown step '${kind}' (steps: ${AUGMENT_STEPS.join(", ")})`;
  }
  if (size === undefined) return { kind: kind as AugmentStep };
  const value = Number(size);
  if (rest.length || size.trim() === "" || !Number.isFinite(value)) {
    return `'${text}': the size after @ must be one number`;
  }
  if (!SIZED_STEPS.includes(kind as AugmentStep)) {
    return `'${text}': only ${SIZED_STEPS.join(" and ")} take a size after @`;
  }
  if (kind === "stretch" && !(value > 0)) return `'${text}': a stretch rate must be > 0`;
  if (kind === "pitch" && value === 0) return `'${text}': a pitch shift of 0 changes nothing`;
  return { kind: kind as AugmentStep, value };
}

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
    const bare = /^\[([\w.+@-]+(,[\w.+@-]+)*)?\]$/.exec(raw.replace(/\s+/g, ""));
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

/**
 * A command's own flag (not a setting): `boolean` flags take no value (`--json`); `string`,
 * `integer` and `list` (comma-separated words) take one, as `--flag=v` or `--flag v`.
 */
export interface FlagSpec {
  kind: "boolean" | "string" | "integer" | "list";
  /** Checks a parsed value; returns what is wrong with it. */
  check?: (value: FlagValue) => string | void;
}
export type FlagValue = boolean | string | number | string[];

export interface ParsedArgs<F extends Record<string, FlagSpec> = Record<string, never>> {
  config: RunConfig;
  /** Arguments that are not `--key=value` settings (e.g. file paths). */
  positional: string[];
  /** The command's own flags that were given (see `FlagSpec`). */
  flags: { [K in keyof F]?: FlagValue };
}

/** A deep copy of `base` with the overrides applied (the base is never mutated). */
export function withOverrides(base: RunConfig, overrides: Record<string, string>): RunConfig {
  const config = structuredClone(base) as RunConfig;
  const given = new Set<string>();
  for (const [key, raw] of Object.entries(overrides)) {
    const path = resolveKey(config, key);
    const cur = getAt(config as unknown as Record<string, unknown>, path);
    setAt(config as unknown as Record<string, unknown>, path, coerce(path, raw, cur));
    given.add(path);
  }
  // Members see parts of the input: a new input without new members keeps the default members
  // where the input still holds them (without prosody if need be), else every member sees it all.
  if (given.has("temporal.input") && !given.has("temporal.memberInputs")) {
    config.temporal.memberInputs = membersFor(config.temporal.input, config.temporal.memberInputs);
  }
  // A new corpus brings its own windows, except where the command line names them too.
  if (config.data.corpus !== base.data.corpus && CORPUS_NAMES.includes(config.data.corpus)) {
    const corpusAudio = CORPUS_AUDIO[config.data.corpus];
    for (const k of Object.keys(corpusAudio) as (keyof CorpusAudio)[]) {
      if (!given.has(`audio.${k}`)) config.audio[k] = corpusAudio[k];
    }
    // ... and its own archive (or none), unless the command line names one.
    const archive = CORPUS_ARCHIVES[config.data.corpus];
    if (!given.has("data.url")) config.data.url = archive?.url ?? "";
    if (!given.has("data.md5")) config.data.md5 = archive?.md5 ?? "";
  }
  validateConfig(config);
  return config;
}

/** `members` fitted to `input`: each as is, or without prosody, if `input` holds it; else none. */
function membersFor(input: TemporalInput, members: readonly TemporalInput[]): TemporalInput[] {
  if (!TEMPORAL_INPUTS.includes(input)) return [...members];
  const fitted = members.map((m) => inputContains(input, m) ? m : spectralPart(m));
  return fitted.every((m) => inputContains(input, m)) ? fitted : [];
}

/**
 * The strict twin `reproduce` trains beside a per-speaker run: nothing of a test voice known
 * (`speakerNorm=none`), and the spectral inputs only; everything else (the pitch-shifted rows
 * too) as the run. Prosody's absolute pitch and loudness say who speaks as much as how: measured
 * on the development protocol (seed 42) they add 2.5 points with per-speaker normalisation and
 * cost 3.6 points without it (docs/results.md), so the twin drops them. Per-clip normalisation
 * measured worse than none (54.2 % against 59.2 %). Prosody z-scored per clip beside the
 * spectral inputs (`per-clip-prosody`) scored 63.6 % against this twin's 61.5 % over seeds 42-44
 * (docs/results.md), measured as this session ended: the twin's next form.
 */
export function strictTwin(config: RunConfig): RunConfig {
  const spectral = spectralPart;
  return {
    ...config,
    eval: { ...config.eval, speakerNorm: "none" },
    temporal: {
      ...config.temporal,
      input: spectral(config.temporal.input),
      memberInputs: config.temporal.memberInputs.map(spectral),
    },
  };
}

/** Where another corpus of a run is found or fetched from: its own archive, no `--data DIR`. */
export function dataFor(data: RunConfig["data"], corpus: CorpusName): RunConfig["data"] {
  const archive = CORPUS_ARCHIVES[corpus];
  return { ...data, corpus, dir: "", url: archive?.url ?? "", md5: archive?.md5 ?? "" };
}

/** `config` with a corpus's own windows: how `data.trainAlso` and test corpora are read. */
export function audioFor(config: RunConfig, corpus: CorpusName): RunConfig {
  if (corpus === config.data.corpus) return config;
  return { ...config, audio: { ...config.audio, ...CORPUS_AUDIO[corpus] } };
}

/**
 * Parses a command line: the command's own `flags`, then settings as `--key=value` or `--key
 * value` (when the next word is not a flag), with the shorthand `--data DIR` for `--data.dir`.
 * Everything else is positional. The one parser every command uses.
 */
export function parseArgs<F extends Record<string, FlagSpec> = Record<string, never>>(
  args: readonly string[],
  base: RunConfig = DEFAULT_CONFIG,
  flags: F = {} as F,
): ParsedArgs<F> {
  const overrides: Record<string, string> = {};
  const positional: string[] = [];
  const given: Record<string, FlagValue> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    let key = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const spec = Object.hasOwn(flags, key) ? flags[key] : undefined;
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else if (spec?.kind === "boolean") value = "true";
    else if (i + 1 < args.length && !args[i + 1].startsWith("--")) value = args[++i];
    else value = "";
    if (spec) {
      given[key] = flagValue(key, spec, value);
      continue;
    }
    if (key === "data") key = "data.dir";
    overrides[key] = value;
  }
  return {
    config: withOverrides(base, overrides),
    positional,
    flags: given as ParsedArgs<F>["flags"],
  };
}

function flagValue(name: string, spec: FlagSpec, raw: string): FlagValue {
  let value: FlagValue;
  if (spec.kind === "boolean") {
    if (raw !== "true" && raw !== "false") {
      throw new Error(`--${name}: expected no value, or true or false, got '${raw}'`);
    }
    value = raw === "true";
  } else if (raw.trim() === "") {
    throw new Error(`--${name}: needs a value`);
  } else if (spec.kind === "integer") {
    value = Number(raw);
    if (!Number.isInteger(value)) throw new Error(`--${name}: expected an integer, got '${raw}'`);
  } else if (spec.kind === "list") {
    value = raw.split(",").map((w) => w.trim()).filter(Boolean);
  } else value = raw;
  const problem = spec.check?.(value);
  if (problem) throw new Error(`--${name}: ${problem}`);
  return value;
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
  if (!CORPUS_NAMES.includes(d.corpus)) {
    problems.push(`data.corpus must be one of ${CORPUS_NAMES.join(", ")} (got ${d.corpus})`);
  } else if (d.corpus !== "ravdess" && c.eval.labels !== "8class") {
    problems.push(
      `eval.labels=${c.eval.labels} is RAVDESS's (calm merged into neutral); ${d.corpus} has its own emotions`,
    );
  }
  if (typeof d.dir !== "string") problems.push("data.dir must be a folder path");
  if (!Array.isArray(d.trainAlso)) problems.push("data.trainAlso must be a list like [emodb]");
  else {
    for (const name of d.trainAlso) {
      if (!CORPUS_NAMES.includes(name)) {
        problems.push(`data.trainAlso: ${name} is not one of ${CORPUS_NAMES.join(", ")}`);
      } else if (name === d.corpus || name === d.testCorpus) {
        problems.push(`data.trainAlso: ${name} is already the run's corpus or test corpus`);
      }
    }
    if (new Set(d.trainAlso).size !== d.trainAlso.length) {
      problems.push("data.trainAlso lists a corpus twice");
    }
  }
  if (d.testCorpus !== "" && !CORPUS_NAMES.includes(d.testCorpus)) {
    problems.push(
      `data.testCorpus must be one of ${CORPUS_NAMES.join(", ")} (got ${d.testCorpus})`,
    );
  }
  if (c.eval.protocol === "cross-corpus") {
    if (d.testCorpus === "") {
      problems.push(
        "eval.protocol=cross-corpus needs --data.testCorpus=NAME (the corpus to test on)",
      );
    } else if (d.testCorpus === d.corpus) {
      problems.push(
        `data.testCorpus=${d.testCorpus} is the training corpus too; cross-corpus tests on another one`,
      );
    }
  } else if (d.testCorpus !== "") {
    problems.push(`data.testCorpus is read by --eval.protocol=cross-corpus only`);
  }
  if (d.trainAlso.length && !["speaker", "cross-corpus"].includes(c.eval.protocol)) {
    problems.push("data.trainAlso needs a speaker-independent protocol (speaker or cross-corpus)");
  }
  if (d.url !== "" && !/^(https?|file):\/\//.test(d.url)) {
    problems.push(`data.url must be an http(s) or file URL, or empty (got ${d.url})`);
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
      if (typeof row !== "string") {
        problems.push(`augment.recipe: ${JSON.stringify(row)} is not a row like "stretch+pitch"`);
        continue;
      }
      for (const text of row.split("+")) {
        const step = parseStep(text);
        if (typeof step === "string") {
          problems.push(
            `augment.recipe: row '${row}': ${step} (join steps with + as in stretch+pitch; sizes as in pitch@-2)`,
          );
        }
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
  if (!(a.trimDb >= 0)) problems.push(`audio.trimDb must be >= 0 (got ${a.trimDb})`);
  if (!(a.windowHopS >= 0)) problems.push(`audio.windowHopS must be >= 0 (got ${a.windowHopS})`);
  else if (a.windowHopS > 0 && a.windowHopS < 0.1) {
    problems.push(`audio.windowHopS must be 0 (off) or at least 0.1 s (got ${a.windowHopS})`);
  }
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
        `temporal.memberInputs: ${part} is not part of temporal.input=${t.input} (members see a contiguous part of the input, e.g. logmel or mfccDeltaProsody of logmelMfccDeltaProsody)`,
      );
    }
  }
  if (!t.filters.length || !t.filters.every((n) => Number.isInteger(n) && n > 0)) {
    problems.push("temporal.filters must be a non-empty list of positive integers");
  }
  if (!(t.dropout >= 0 && t.dropout < 1)) problems.push("temporal.dropout must be in [0, 1)");
  if (t.pooling !== "meanMax" && t.pooling !== "meanMaxAttention") {
    problems.push(`temporal.pooling must be meanMax or meanMaxAttention (got ${t.pooling})`);
  }
  const tr = c.train;
  for (const k of ["epochs", "batchSize", "lrPatience"] as const) {
    if (!Number.isInteger(tr[k]) || tr[k] < 1) problems.push(`train.${k} must be an integer >= 1`);
  }
  if (!(tr.learningRate > 0)) problems.push("train.learningRate must be > 0");
  if (tr.lrSchedule !== "plateau" && tr.lrSchedule !== "cosine") {
    problems.push(`train.lrSchedule must be plateau or cosine (got ${tr.lrSchedule})`);
  }
  if (!Number.isInteger(tr.averageLast) || tr.averageLast < 0 || tr.averageLast > tr.epochs) {
    problems.push(
      `train.averageLast must be an integer from 0 to train.epochs (got ${tr.averageLast})`,
    );
  }
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
  if (!TRAIN_ENGINES.includes(tr.engine)) {
    problems.push(`train.engine must be one of ${TRAIN_ENGINES.join(", ")} (got ${tr.engine})`);
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
  if (!["speaker", "random", "seed-leaky", "cross-corpus"].includes(e.protocol)) {
    problems.push(
      `eval.protocol must be speaker, random, seed-leaky or cross-corpus (got ${e.protocol})`,
    );
  }
  if (e.labels !== "8class" && e.labels !== "7class") {
    problems.push(`eval.labels must be 8class or 7class (got ${e.labels})`);
  }
  if (!(e.testFraction > 0 && e.testFraction < 1)) {
    problems.push("eval.testFraction must be in (0, 1)");
  }
  if (!SPEAKER_NORMS.includes(e.speakerNorm)) {
    problems.push(`eval.speakerNorm must be ${SPEAKER_NORMS.join(", ")} (got ${e.speakerNorm})`);
  } else if (e.speakerNorm.startsWith("per-clip") && c.model === "seed") {
    problems.push(`eval.speakerNorm=${e.speakerNorm} needs frame inputs (--model=temporal)`);
  } else if (
    e.speakerNorm === "per-clip-prosody" && !inputParts(c.temporal.input).includes("prosody")
  ) {
    problems.push(
      `eval.speakerNorm=per-clip-prosody needs prosody in temporal.input (got ${c.temporal.input})`,
    );
  }
  const l = c.live;
  if (!(l.windowS > 0 && l.hopS > 0 && l.timelineS > 0 && l.fileHopS > 0)) {
    problems.push("live.windowS, live.hopS, live.fileHopS and live.timelineS must be > 0");
  }
  if (!(l.ownVoiceMinS >= 0)) problems.push("live.ownVoiceMinS must be >= 0 seconds");
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
  "eval.strictToo",
  "live",
] as const;

/**
 * What a run recorded before a setting existed meant: the lever's "off" value (not today's
 * default, which may have moved since); runs before `train.kernels` trained on tfjs's own
 * kernels, and runs before `train.engine` on tfjs's per-op machinery.
 */
const SETTINGS_BEFORE_THEY_EXISTED: Record<string, unknown> = {
  ...LEVERS_OFF,
  "train.kernels": "stock",
  "train.engine": "tfjs",
  "data.corpus": "ravdess",
  "audio.trimDb": 0,
  "audio.windowHopS": 0,
  "data.trainAlso": [],
  "data.testCorpus": "",
  "eval.strictToo": false,
};

/** A stored config completed with the meaning of settings added after it was written. */
export function completeStoredConfig(stored: RunConfig): RunConfig {
  const config = structuredClone(stored) as unknown as Record<string, unknown>;
  for (const [path, value] of Object.entries(SETTINGS_BEFORE_THEY_EXISTED)) {
    if (getAt(config, path) === undefined) setAt(config, path, structuredClone(value));
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
