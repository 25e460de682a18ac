/**
 * Where the corpus is (Deno-only): `--data DIR`, then `<CORPUS>_DIR` (RAVDESS_DIR, EMODB_DIR,
 * ...), then `data/<corpus>`, then `../shared/<corpus>`; when none exists, a corpus with a public
 * archive (RAVDESS from Zenodo, EmoDB) is downloaded into `data/<corpus>`, and for the others the
 * message says where to get them and the layout expected.
 */
import { createHash } from "node:crypto";
import { isAbsolute, join, resolve } from "node:path";
import type { DataConfig } from "../config/config.ts";
import type { ProgressSink } from "../util/progress.ts";
import { exists, writeJsonAtomic } from "../cache/files.ts";
import { downloadFile, extractZip } from "./download.ts";
import { type CorpusIndex, indexCorpus } from "./index_fs.ts";
import { corpusSpec } from "./corpora.ts";
import { indexAudioFolder, indexManifest } from "./user_corpus_fs.ts";
import { PROJECT_ROOT, projectPath, userCwd } from "../util/project.ts";

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
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(userCwd(), p));
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

/** Finds the corpus or downloads it into `data/<corpus>`; returns its folder. */
export async function ensureCorpus(
  config: DataConfig,
  sink: ProgressSink,
  env: (k: string) => string | undefined = (k) => Deno.env.get(k),
  targetDir = projectPath("data", config.corpus),
): Promise<string> {
  const found = await findCorpus(config, env);
  if (found) return found.dir;
  const looked = corpusCandidates(config, env).map((c) => c.dir).join(", ");
  const spec = corpusSpec(config.corpus);
  if (!config.url) {
    throw new Error(
      `no ${spec.title} found (looked in ${looked}); it has no archive this project can fetch: ` +
        `get it from ${spec.source}, then pass --data DIR`,
    );
  }
  if (!config.download) {
    throw new Error(
      `no ${spec.title} found (looked in ${looked}) and downloading is off (--data.download=false)`,
    );
  }
  sink.write(`no ${spec.title} found (looked in ${looked}); downloading ${config.url}\n`);
  await downloadCorpus(config, sink, targetDir);
  return targetDir;
}

/**
 * Downloads the archive next to `targetDir`, verifies it and unpacks it into `targetDir`, with
 * `SOURCE.json` saying where it came from and the archive's SHA-256 (for archives that publish
 * no checksum, the record of which bytes this corpus was).
 */
export async function downloadCorpus(
  config: DataConfig,
  sink: ProgressSink,
  targetDir: string,
): Promise<void> {
  const spec = corpusSpec(config.corpus);
  const fileName = spec.archive?.fileName ?? `${config.corpus}.zip`;
  const zipPath = join(targetDir, "..", "downloads", fileName);
  if (await exists(zipPath)) {
    sink.write(`using the archive downloaded earlier: ${zipPath}\n`);
  } else await downloadFile(config.url, zipPath, { md5: config.md5, sink });
  if (!config.md5) {
    sink.write(
      `${fileName}: no published checksum to verify; each entry's CRC-32 is checked as it ` +
        `unpacks, and the archive's SHA-256 is kept in ${join(targetDir, "SOURCE.json")}\n`,
    );
  }
  if (await exists(targetDir)) {
    throw new Error(`${targetDir}: already exists; not extracting over it`);
  }
  const sha256 = await sha256OfFile(zipPath);
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
  await writeJsonAtomic(join(targetDir, "SOURCE.json"), {
    corpus: config.corpus,
    url: config.url,
    md5: config.md5 || null,
    sha256,
    bytes: (await Deno.stat(zipPath)).size,
    downloadedAt: new Date().toISOString(),
  });
  // The verified archive has served its purpose; the extracted folder is the corpus now.
  await Deno.remove(zipPath);
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

/** The configured corpus, found or downloaded, indexed, with a line saying what it holds. */
export async function openConfiguredCorpus(
  config: DataConfig,
  sink: ProgressSink,
  /** Where the clips' content hashes are remembered (`--cacheDir`); null: hashed each time. */
  cacheDir: string | null = null,
): Promise<CorpusIndex> {
  const dir = await ensureCorpus(config, sink);
  const corpus = config.corpus === "manifest"
    ? await indexManifest(dir, cacheDir)
    : config.corpus === "audiofolder"
    ? await indexAudioFolder(dir, config.speakerPattern, cacheDir)
    : await indexCorpus(dir, config.corpus, cacheDir);
  const actors = new Set(corpus.clips.map((c) => c.actor));
  const published = corpusSpec(config.corpus).archive?.clips;
  const partial = published && corpus.clips.length < published
    ? ` (of the ${published} it has as published)`
    : "";
  sink.write(
    `corpus: ${config.corpus}, ${corpus.clips.length} clips${partial}, ${actors.size} speakers, ${dir}\n`,
  );
  for (const d of corpus.duplicates) {
    sink.write(
      `warning: ${
        d.relPaths.join(" and ")
      } hold the same audio (speaker ${d.speaker}); it counts ${d.relPaths.length} times\n`,
    );
  }
  if (corpus.ignored.length) {
    const why = [...new Set(corpus.ignored.map((i) => i.why))].join("; ");
    sink.write(`corpus: ${corpus.ignored.length} files not used: ${why}\n`);
  }
  return corpus;
}
