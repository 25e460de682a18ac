/**
 * Fetching and unpacking the corpus archive (Deno-only).
 *
 * The download goes to `<dest>.part`; an interrupted run leaves that file and the next run asks
 * the server for the rest (HTTP Range). A server that ignores the range restarts the file; a
 * finished file whose MD5 is wrong is deleted and fetched once more from scratch before we give
 * up. Only a verified file is renamed to `<dest>`.
 */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { formatBytes, ProgressBar, type ProgressSink } from "../util/progress.ts";
import { listZipEntries, readZipEntry, safeEntrySegments } from "./zip.ts";
import { exists } from "../cache/files.ts";

export interface DownloadOptions {
  /** Expected MD5 (hex); empty skips the check. */
  md5: string;
  sink: ProgressSink;
  /** Attempts to resume after a dropped connection before giving up. */
  maxAttempts?: number;
}

/** An answer that asking again cannot change (HTTP 4xx). */
class RefusedError extends Error {}

async function md5OfFile(path: string): Promise<string> {
  const hash = createHash("md5");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return 0;
  }
}

/** One pass: fetch what is missing from `part`. Returns when the server has sent everything. */
async function fetchInto(
  url: string,
  part: string,
  label: string,
  sink: ProgressSink,
): Promise<void> {
  const have = await sizeOf(part);
  const res = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {} });
  if (res.status === 416 && have > 0) {
    await res.body?.cancel();
    return; // we already hold every byte; the checksum decides
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    // 4xx: the request itself is wrong (no such file, no access); asking again cannot help.
    const Kind = res.status >= 400 && res.status < 500 ? RefusedError : Error;
    throw new Kind(`${url}: HTTP ${res.status} ${res.statusText}`);
  }
  const append = res.status === 206 && have > 0;
  const rest = Number(res.headers.get("content-length") ?? "0");
  const total = append ? have + rest : rest;
  using file = await Deno.open(part, { write: true, create: true, append, truncate: !append });
  const bar = new ProgressBar(label, total, { sink, format: formatBytes });
  bar.update(append ? have : 0);
  const writer = file.writable.getWriter();
  try {
    for await (const chunk of res.body!) {
      await writer.write(chunk);
      bar.tick(chunk.length);
    }
  } finally {
    bar.finish();
    await writer.close().catch(() => {});
  }
  if (total > 0 && (await sizeOf(part)) < total) {
    throw new Error(`${url}: connection closed after ${await sizeOf(part)} of ${total} bytes`);
  }
}

/** Downloads `url` to `dest` with resume, retries and an MD5 check. */
export async function downloadFile(
  url: string,
  dest: string,
  opts: DownloadOptions,
): Promise<void> {
  await Deno.mkdir(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const maxAttempts = opts.maxAttempts ?? 5;
  let cleanRetryUsed = false;
  for (let attempt = 1;; attempt++) {
    try {
      await fetchInto(url, part, `download ${url.split("/").pop()?.split("?")[0]}`, opts.sink);
    } catch (err) {
      const kept = await sizeOf(part);
      const partNote = kept > 0
        ? `; the partial file ${part} (${formatBytes(kept)}) is kept and the next run resumes it`
        : "";
      if (err instanceof RefusedError) {
        throw new Error(`download of ${url} refused by the server: ${err.message}${partNote}`);
      }
      if (attempt >= maxAttempts) {
        throw new Error(
          `download of ${url} failed after ${attempt} attempts: ${
            (err as Error).message
          }${partNote}`,
        );
      }
      opts.sink.write(
        `download interrupted (${(err as Error).message}); ${kept > 0 ? "resuming" : "retrying"}\n`,
      );
      continue;
    }
    if (opts.md5) {
      const got = await md5OfFile(part);
      if (got !== opts.md5.toLowerCase()) {
        await Deno.remove(part);
        if (cleanRetryUsed) {
          throw new Error(
            `${url}: MD5 ${got} does not match the expected ${opts.md5} (twice); not using it`,
          );
        }
        cleanRetryUsed = true;
        opts.sink.write(
          `MD5 mismatch (got ${got}, want ${opts.md5}); downloading again from scratch\n`,
        );
        continue;
      }
    }
    await Deno.rename(part, dest);
    return;
  }
}

/**
 * Extracts a zip into `targetDir`, which must not exist yet: entries go to a temporary sibling
 * folder that is renamed into place only when every entry is out and verified, so an interrupted
 * extraction never leaves a half-filled corpus folder behind.
 */
export async function extractZip(
  zipPath: string,
  targetDir: string,
  sink: ProgressSink,
): Promise<number> {
  if (await exists(targetDir)) {
    throw new Error(`${targetDir}: already exists; not extracting over it`);
  }
  const bytes = await Deno.readFile(zipPath);
  const entries = listZipEntries(bytes, zipPath);
  // Validate every path before writing anything.
  const plan = entries.map((e) => ({ e, segments: safeEntrySegments(e.name, zipPath) }));
  const tmp = `${targetDir}.extracting-${Deno.pid}`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp, { recursive: true });
  const bar = new ProgressBar("extract", plan.length, { sink, unit: "files" });
  try {
    for (const { e, segments } of plan) {
      if (segments.length > 0) {
        const out = join(tmp, ...segments);
        if (e.isDirectory) await Deno.mkdir(out, { recursive: true });
        else {
          await Deno.mkdir(dirname(out), { recursive: true });
          await Deno.writeFile(out, readZipEntry(bytes, e, zipPath));
        }
      }
      bar.tick();
    }
    bar.finish();
    await Deno.rename(tmp, targetDir);
  } catch (err) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw err;
  }
  return plan.length;
}
