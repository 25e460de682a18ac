/**
 * Corpus download against a local HTTP server on 127.0.0.1 serving a zip built here: resume
 * after a dropped connection, MD5 check with one clean retry, and refusal of entries that would
 * escape the target folder.
 */
import { join } from "node:path";
import { createHash } from "node:crypto";
import { zipSync } from "fflate";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { downloadFile } from "../lib/corpus/download.ts";
import { downloadCorpus, ensureCorpus } from "../lib/corpus/locate.ts";
import { indexCorpus } from "../lib/corpus/index_fs.ts";
import { DEFAULT_CONFIG, parseArgs } from "../lib/config/config.ts";
import { encodeWav } from "../lib/audio/wav.ts";
import type { ProgressSink } from "../lib/util/progress.ts";
import { ravdessName, tone } from "./helpers.ts";

function collectingSink(): ProgressSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, isTerminal: false, write: (t) => void lines.push(t) };
}

function md5(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

/** A zip shaped like Zenodo's: `Actor_NN/<clip>.wav` at the top. */
function buildCorpusZip(): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const actor of [1, 2]) {
    for (const emotion of [1, 5]) {
      files[`Actor_0${actor}/${ravdessName(actor, emotion)}`] = encodeWav(
        tone(48000 * 3.2, 200 * emotion + actor, 48000),
        48000,
      );
    }
  }
  return zipSync(files, { level: 6 });
}

interface ServerControl {
  url: string;
  requests: { range: string | null }[];
  /**
   * Per request number: "cut" sends half the body and drops the connection, "corrupt" flips
   * bytes, "missing" answers 404.
   */
  plan: ("ok" | "cut" | "corrupt" | "missing")[];
  close(): Promise<void>;
}

function serve(body: Uint8Array): ServerControl {
  const ctl = {
    requests: [] as { range: string | null }[],
    plan: [] as ("ok" | "cut" | "corrupt" | "missing")[],
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const range = req.headers.get("range");
    const mode = ctl.plan[ctl.requests.length] ?? "ok";
    ctl.requests.push({ range });
    if (mode === "missing") return new Response("no such file", { status: 404 });
    let start = 0;
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m) start = Number(m[1]);
    if (start >= body.length) return new Response(null, { status: 416 });
    let payload = body.subarray(start);
    if (mode === "corrupt") {
      payload = payload.slice();
      for (let i = 0; i < payload.length; i += 97) payload[i] ^= 0xff;
    }
    const headers = { "content-length": String(payload.length), "content-type": "application/zip" };
    const status = m ? 206 : 200;
    if (mode !== "cut") {
      return new Response(payload as Uint8Array<ArrayBuffer>, { status, headers });
    }
    const half = payload.subarray(0, payload.length >> 1);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(half);
        setTimeout(() => c.error(new Error("connection reset")), 20);
      },
    });
    return new Response(stream, { status, headers });
  });
  const addr = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${addr.port}/Audio_Speech_Actors_01-24.zip`,
    get requests() {
      return ctl.requests;
    },
    get plan() {
      return ctl.plan;
    },
    set plan(p) {
      ctl.plan = p;
    },
    close: () => server.shutdown(),
  };
}

Deno.test("download: a dropped connection is resumed with an HTTP Range request", async () => {
  const zip = buildCorpusZip();
  const srv = serve(zip);
  srv.plan = ["cut", "ok"];
  const dir = await Deno.makeTempDir();
  const dest = join(dir, "c.zip");
  const sink = collectingSink();
  await downloadFile(srv.url, dest, { md5: md5(zip), sink });
  assertEquals(srv.requests.length, 2);
  assertEquals(srv.requests[0].range, null);
  assert(srv.requests[1].range?.startsWith("bytes="), "second request resumes");
  assert(Number(/bytes=(\d+)-/.exec(srv.requests[1].range!)![1]) > 0, "resumes past zero");
  assertEquals(md5(await Deno.readFile(dest)), md5(zip));
  assert(sink.lines.some((l) => l.includes("resuming")), "says it resumes");
  assert(sink.lines.some((l) => l.includes("100%")), "progress bar reaches 100%");
  await srv.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("download: an MD5 mismatch deletes the file and retries once from scratch", async () => {
  const zip = buildCorpusZip();
  const srv = serve(zip);
  srv.plan = ["corrupt", "ok"];
  const dir = await Deno.makeTempDir();
  const dest = join(dir, "c.zip");
  const sink = collectingSink();
  await downloadFile(srv.url, dest, { md5: md5(zip), sink });
  assertEquals(srv.requests.map((r) => r.range), [null, null]);
  assert(sink.lines.some((l) => l.includes("MD5 mismatch")));
  await srv.close();

  const bad = serve(zip);
  bad.plan = ["corrupt", "corrupt"];
  const dest2 = join(dir, "d.zip");
  await assertRejects(
    () => downloadFile(bad.url, dest2, { md5: md5(zip), sink }),
    Error,
    "does not match the expected",
  );
  assertEquals(
    [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
    ["c.zip"],
    "no partial or bad file is left",
  );
  await bad.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("download: the corpus archive is fetched, verified, unpacked and indexable", async () => {
  const zip = buildCorpusZip();
  const srv = serve(zip);
  const dir = await Deno.makeTempDir();
  const target = join(dir, "data", "ravdess");
  await downloadCorpus(
    { ...DEFAULT_CONFIG.data, url: srv.url, md5: md5(zip) },
    collectingSink(),
    target,
  );
  const idx = await indexCorpus(target);
  assertEquals(idx.clips.map((c) => c.relPath), [
    "Actor_01/03-01-01-01-01-01-01.wav",
    "Actor_01/03-01-05-01-01-01-01.wav",
    "Actor_02/03-01-01-01-01-01-02.wav",
    "Actor_02/03-01-05-01-01-01-02.wav",
  ]);
  assertEquals(
    [...Deno.readDirSync(join(dir, "data", "downloads"))],
    [],
    "the archive is removed once unpacked",
  );
  await srv.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("download: EmoDB's archive (no published checksum) is fetched, unpacked, and its SHA-256 kept", async () => {
  // Shaped like emodb.bilderbar.info's download.zip: wav/ beside the label folders.
  const zip = zipSync({
    "wav/03a01Fa.wav": encodeWav(tone(16000, 220, 16000), 16000),
    "wav/16b10Wb.wav": encodeWav(tone(24000, 180, 16000), 16000),
    "lablaut/03a01Fa.lablaut": new TextEncoder().encode("labels, not audio"),
  });
  const srv = serve(zip);
  const dir = await Deno.makeTempDir();
  const target = join(dir, "data", "emodb");
  const { config } = parseArgs(["--data.corpus=emodb", `--data.url=${srv.url}`]);
  assertEquals(config.data.md5, "", "EmoDB publishes no checksum");
  const sink = collectingSink();
  await downloadCorpus(config.data, sink, target);
  assert(sink.lines.some((l) => l.includes("no published checksum")), sink.lines.join(""));
  const idx = await indexCorpus(target, "emodb");
  assertEquals(idx.clips.map((c) => [c.id, c.actor, c.emotion]), [
    ["03a01Fa", 3, "happy"],
    ["16b10Wb", 16, "angry"],
  ]);
  const source = JSON.parse(await Deno.readTextFile(join(target, "SOURCE.json")));
  assertEquals(source.sha256, createHash("sha256").update(zip).digest("hex"));
  assertEquals(source.url, srv.url);
  await srv.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("download: a corpus without a public archive says where to get it and the layout", async () => {
  const { config } = parseArgs(["--data.corpus=cremad"]);
  assertEquals(config.data.url, "");
  await assertRejects(
    () => ensureCorpus(config.data, collectingSink(), () => undefined, "/nonexistent/cremad"),
    Error,
    "it has no archive this project can fetch: get it from github.com/CheyneyComputerScience/CREMA-D",
  );
});

Deno.test("download: HTTP 404 is an error at once, not five 'resuming' retries of a file that is not kept", async () => {
  const srv = serve(buildCorpusZip());
  srv.plan = ["missing", "missing", "missing", "missing", "missing"];
  const dir = await Deno.makeTempDir();
  const sink = collectingSink();
  const err = await assertRejects(
    () => downloadFile(srv.url, join(dir, "a.zip"), { md5: "", sink }),
    Error,
    "refused by the server",
  );
  assert(err.message.includes("HTTP 404"), err.message);
  assert(!err.message.includes("partial file"), "no partial file is claimed: " + err.message);
  assertEquals(srv.requests.length, 1);
  assertEquals(sink.lines.filter((l) => l.includes("resuming")), []);
  await srv.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("download: an archive refused at extraction is deleted, and the next run fetches it again", async () => {
  const evil = zipSync({ "Actor_01/ok.wav": new Uint8Array(4), "../evil.wav": new Uint8Array(4) });
  const bad = serve(evil);
  const dir = await Deno.makeTempDir();
  const target = join(dir, "data", "ravdess");
  const sink = collectingSink();
  await assertRejects(
    () => downloadCorpus({ ...DEFAULT_CONFIG.data, url: bad.url, md5: md5(evil) }, sink, target),
    Error,
    "the archive was refused and deleted",
  );
  assertEquals([...Deno.readDirSync(join(dir, "data", "downloads"))], []);
  const zip = buildCorpusZip();
  const good = serve(zip);
  await downloadCorpus({ ...DEFAULT_CONFIG.data, url: good.url, md5: md5(zip) }, sink, target);
  assertEquals(good.requests.length, 1, "a fresh copy was requested");
  assertEquals((await indexCorpus(target)).clips.length, 4);
  await bad.close();
  await good.close();
  await Deno.remove(dir, { recursive: true });
});
