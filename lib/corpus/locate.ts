/**
 * Where the corpus is (Deno-only): `--data DIR`, then `<CORPUS>_DIR` (RAVDESS_DIR, EMODB_DIR,
 * ...), then `data/<corpus>`, then `../shared/<corpus>`; when none exists, RAVDESS is downloaded
 * from Zenodo into `data/ravdess`, and for the others the message says where to get them.
 */
import { isAbsolute, join, resolve } from "node:path";
import type { DataConfig } from "../config/config.ts";
import type { ProgressSink } from "../util/progress.ts";
import { exists } from "../cache/files.ts";
import { downloadFile, extractZip } from "./download.ts";
import { type CorpusIndex, indexCorpus } from "./index_fs.ts";
import { corpusSpec } from "./corpora.ts";
import { PROJECT_ROOT, projectPath } from "../util/project.ts";

export interface CorpusCandidate {
  dir: string;
  /** `--data`, the environment variable's name, `data/<corpus>` or `../shared/<corpus>`. */
  source: string;
  /** Named by the user (`--data`, the variable): it must exist. */
  named: boolean;
}

/** The folders looked at, in order, for messages and for `findCorpus`. */
export function corpusCandidates(
  config: DataConfig,
  env: (k: string) => string | undefined,
): CorpusCandidate[] {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(Deno.cwd(), p));
  const out: CorpusCandidate[] = [];
  const name = config.corpus;
  if (config.dir) out.push({ dir: abs(config.dir), source: "--data", named: true });
  const variable = `${name.toUpperCase()}_DIR`;
  const fromEnv = env(variable);
  if (fromEnv !== undefined && fromEnv.trim() === "") {
    throw new Error(`${variable} is set but empty: set it to the corpus folder, or unset it`);
  }
  if (fromEnv) out.push({ dir: abs(fromEnv), source: variable, named: true });
  out.push({ dir: projectPath("data", name), source: `data/${name}`, named: false });
  out.push({
    dir: resolve(PROJECT_ROOT, "..", "shared", name),
    source: `../shared/${name}`,
    named: false,
  });
  return out;
}

/**
 * The first candidate that exists. A folder the user named (`--data`, `RAVDESS_DIR`) must
 * exist: we do not silently fall back to another corpus.
 */
export async function findCorpus(
  config: DataConfig,
  env: (k: string) => string | undefined = (k) => Deno.env.get(k),
): Promise<CorpusCandidate | null> {
  for (const c of corpusCandidates(config, env)) {
    if (await exists(c.dir)) return c;
    if (c.named) {
      throw new Error(`${c.dir}: corpus folder given by ${c.source} does not exist`);
    }
  }
  return null;
}

/** Finds the corpus or downloads it into `data/ravdess`; returns its folder. */
export async function ensureCorpus(
  config: DataConfig,
  sink: ProgressSink,
  env: (k: string) => string | undefined = (k) => Deno.env.get(k),
  targetDir = projectPath("data", "ravdess"),
): Promise<string> {
  const found = await findCorpus(config, env);
  if (found) return found.dir;
  const looked = corpusCandidates(config, env).map((c) => c.dir).join(", ");
  if (config.corpus !== "ravdess") {
    const spec = corpusSpec(config.corpus);
    throw new Error(
      `no ${spec.title} found (looked in ${looked}); it has no archive this project can fetch: ` +
        `get it from ${spec.source}, then pass --data DIR`,
    );
  }
  if (!config.download) {
    throw new Error(
      `no RAVDESS corpus found (looked in ${looked}) and downloading is off (--data.download=false)`,
    );
  }
  sink.write(`no RAVDESS corpus found (looked in ${looked}); downloading ${config.url}\n`);
  await downloadCorpus(config, sink, targetDir);
  return targetDir;
}

/** Downloads the archive next to `targetDir`, verifies it and unpacks it into `targetDir`. */
export async function downloadCorpus(
  config: DataConfig,
  sink: ProgressSink,
  targetDir: string,
): Promise<void> {
  const zipPath = join(targetDir, "..", "downloads", "Audio_Speech_Actors_01-24.zip");
  if (await exists(zipPath)) {
    sink.write(`using the archive downloaded earlier: ${zipPath}\n`);
  } else await downloadFile(config.url, zipPath, { md5: config.md5, sink });
  if (await exists(targetDir)) {
    throw new Error(`${targetDir}: already exists; not extracting over it`);
  }
  try {
    await extractZip(zipPath, targetDir, sink);
  } catch (err) {
    // A refused archive must not be offered again on the next run: delete it, so that run
    // downloads a fresh copy instead of failing the same way.
    await Deno.remove(zipPath).catch(() => {});
    throw new Error(
      `${(err as Error).message}; the archive was refused and deleted (${zipPath}), the next ` +
        `run downloads it again`,
    );
  }
  // The verified archive has served its purpose; the extracted folder is the corpus now.
  await Deno.remove(zipPath);
}

/** The configured corpus, found or downloaded, indexed, with a line saying what it holds. */
export async function openConfiguredCorpus(
  config: DataConfig,
  sink: ProgressSink,
): Promise<CorpusIndex> {
  const dir = await ensureCorpus(config, sink);
  const corpus = await indexCorpus(dir, config.corpus);
  const actors = new Set(corpus.clips.map((c) => c.actor));
  sink.write(
    `corpus: ${config.corpus}, ${corpus.clips.length} clips, ${actors.size} speakers, ${dir}\n`,
  );
  if (corpus.ignored.length) {
    const why = [...new Set(corpus.ignored.map((i) => i.why))].join("; ");
    sink.write(`corpus: ${corpus.ignored.length} files not used: ${why}\n`);
  }
  return corpus;
}
