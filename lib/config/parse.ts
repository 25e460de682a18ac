/**
 * `--key=value` to a config: one parser for every command (settings and the command's own
 * flags), values read by the type of the default they replace, a key resolved by its full path
 * or a unique leaf name, and a new corpus bringing its own windows and archive. Every parsed
 * config is validated (`validate.ts`) before any work. Pure.
 */
import { CORPUS_ARCHIVES, CORPUS_AUDIO, CORPUS_NAMES, type CorpusAudio } from "../schema/corpus.ts";
import { inputNamed } from "../schema/inputs.ts";
import { DEFAULT_CONFIG, type RunConfig } from "./defaults.ts";
import { getAt, leafPaths, setAt } from "./paths.ts";
import { membersFor } from "./derive.ts";
import { validateConfig } from "./validate.ts";

function coerce(path: string, raw: string, current: unknown): unknown {
  // An input may be written as its list of parts: --temporal.input=[mfccDelta,prosody].
  if (path === "temporal.input" && raw.trim().startsWith("[")) {
    const words = raw.replace(/[\s"'[\]]/g, "").split(",").filter(Boolean);
    try {
      return inputNamed(words);
    } catch (err) {
      throw new Error(`--${path}: ${(err as Error).message}`);
    }
  }
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
