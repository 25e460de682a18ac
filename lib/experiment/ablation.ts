/**
 * Running the ablation study (Deno only): every variant under every seed, reusing finished runs
 * (found by what they compute), training the missing ones, and writing the table.
 */
import { join } from "node:path";
import type { RunConfig } from "../config/config.ts";
import { withOverrides } from "../config/config.ts";
import type { CorpusIndex } from "../corpus/index_fs.ts";
import {
  type AblationRow,
  ablationRow,
  ablationTableRows,
  type AblationVariant,
  markdownTable,
  seedEnsembleRow,
} from "../eval/ablation.ts";
import { writeFileAtomic, writeJsonAtomic } from "../cache/files.ts";
import type { ProgressSink } from "../util/progress.ts";
import { type FeatureSet, featurizeCorpus } from "../pipeline/featurize.ts";
import { runExperiment } from "./run.ts";
import { findRun, loadRun } from "../run/store.ts";

export const ABLATION_DIR = "ablation";

export interface AblationOptions {
  variants: readonly AblationVariant[];
  seeds: readonly number[];
  /** Only tabulate runs that exist; train nothing. */
  tableOnly: boolean;
}

export function variantConfig(base: RunConfig, variant: AblationVariant, seed: number): RunConfig {
  return withOverrides(base, { ...variant.overrides, seed: String(seed) });
}

export async function runAblation(
  base: RunConfig,
  corpus: CorpusIndex,
  dirs: { cacheDir: string; resultsDir: string },
  opts: AblationOptions,
  sink: ProgressSink,
): Promise<{ rows: AblationRow[]; missing: string[] }> {
  let features: FeatureSet | null = null;
  const rows: AblationRow[] = [];
  const missing: string[] = [];
  for (const variant of opts.variants) {
    const runs = [];
    for (const seed of opts.seeds) {
      const config = variantConfig(base, variant, seed);
      let dir = await findRun(dirs.resultsDir, config);
      if (!dir && opts.tableOnly) {
        missing.push(`${variant.name} seed ${seed}`);
        continue;
      }
      if (!dir) {
        sink.write(`ablation: ${variant.name}, seed ${seed}: training\n`);
        features ??= await featurizeCorpus(config, corpus, sink, dirs.cacheDir);
        dir = (await runExperiment(config, features, corpus, sink, dirs.resultsDir)).runDir;
      } else {
        sink.write(`ablation: ${variant.name}, seed ${seed}: found ${dir}\n`);
      }
      const stored = await loadRun(dir);
      runs.push({ seed, summary: stored.summary, predictions: stored.predictions });
    }
    if (runs.length) rows.push(ablationRow(variant, runs));
    // With three or more seeds, what averaging them would give (scored from their predictions).
    if (runs.length >= 3) rows.push(seedEnsembleRow(variant, runs));
  }
  return { rows, missing };
}

/** `<resultsDir>/ablation/ablation.json` and `ablation.md`, written atomically. */
export async function writeAblation(
  resultsDir: string,
  rows: readonly AblationRow[],
  protocolText: string,
): Promise<{ json: string; markdown: string }> {
  const dir = join(resultsDir, ABLATION_DIR);
  await Deno.mkdir(dir, { recursive: true });
  const json = join(dir, "ablation.json");
  const markdown = join(dir, "ablation.md");
  await writeJsonAtomic(json, { protocol: protocolText, rows });
  await writeFileAtomic(
    markdown,
    `# Ablation\n\nProtocol: ${protocolText}\n\n${markdownTable(ablationTableRows(rows))}`,
  );
  return { json, markdown };
}

/** The stored ablation table, or null when none has been written. */
export async function readAblation(
  resultsDir: string,
): Promise<{ protocol: string; rows: AblationRow[] } | null> {
  try {
    return JSON.parse(await Deno.readTextFile(join(resultsDir, ABLATION_DIR, "ablation.json")));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new Error(
      `${join(resultsDir, ABLATION_DIR, "ablation.json")}: ${(err as Error).message}`,
    );
  }
}
