/**
 * Configs as runs store them: a canonical JSON and its hashes (`configHash` names a whole
 * config, `resultHash` what it computes, without the settings that only change speed), and a
 * stored config completed with the meaning of settings added after it was written. Pure but for
 * Web Crypto.
 */
import { sha256Hex } from "../util/hash.ts";
import { LEVERS_OFF, type RunConfig } from "./defaults.ts";
import { getAt, setAt } from "./paths.ts";

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

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
  "eval.strictNorm",
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
  "data.ownLabels": [],
  "data.speakerPattern": "",
  "eval.strictToo": false,
  "eval.strictNorm": "none",
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
