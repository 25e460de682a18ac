/**
 * `POST /api/predict` (Deno only): a WAV body in, the JSON `deno task predict --json` prints for
 * that file out (`?timeline=1` adds the windows; `?run=ID` picks a run, else the page's default,
 * else the newest). The body is refused past a size limit (413) and read in pieces up to it; bad
 * audio is a 400 naming the problem. A run's models are loaded once and shared by every request.
 */
import type { LiveConfig } from "../config/config.ts";
import { strictTwin } from "../config/config.ts";
import { bytesSource } from "../audio/wav.ts";
import { analyseSource, answerRecording, chooseVoice, type RunModel } from "../live/recording.ts";
import { normPolicy } from "../normalise/policy.ts";
import { findRun, listRuns, loadRunModel } from "../run/store.ts";
import { join } from "node:path";

export interface PredictApiOptions {
  resultsDir: string;
  live: LiveConfig;
  /** Run used when the request names none; empty: the newest. */
  defaultRun: string;
  /** Largest WAV body accepted, in bytes. */
  maxBodyBytes: number;
}

/** 200 MB: about 18 minutes of 48 kHz stereo 16-bit audio, an hour of 22 kHz mono. */
export const DEFAULT_MAX_BODY_BYTES = 200 * 1024 * 1024;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });

/** The body's bytes, or null once it passes `limit` (the rest is not read). */
async function readLimited(req: Request, limit: number): Promise<Uint8Array | null> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) return null;
  if (!req.body) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function createPredictApi(opts: PredictApiOptions): (req: Request) => Promise<Response> {
  const models = new Map<string, Promise<RunModel>>();
  const twins = new Map<string, Promise<RunModel | null>>();
  const load = (id: string) => {
    let m = models.get(id);
    if (!m) {
      m = loadRunModel(join(opts.resultsDir, id));
      m.catch(() => models.delete(id));
      models.set(id, m);
    }
    return m;
  };
  return async (req) => {
    if (req.method !== "POST") return json(405, { error: "POST a WAV file as the body" });
    const url = new URL(req.url);
    const runs = await listRuns(opts.resultsDir);
    const want = url.searchParams.get("run") || opts.defaultRun;
    const id = want ? runs.find((r) => r.id === want)?.id : runs[0]?.id;
    if (!id) {
      return json(404, {
        error: want ? `no finished run ${want} in the results folder` : "no trained run yet",
      });
    }
    const bytes = await readLimited(req, opts.maxBodyBytes);
    if (!bytes) {
      return json(413, { error: `the body is over the ${opts.maxBodyBytes} byte limit` });
    }
    const main = await load(id);
    const name = url.searchParams.get("name") || "upload.wav";
    let analysed;
    try {
      analysed = analyseSource(bytesSource(bytes), name, main, opts.live);
    } catch (err) {
      return json(400, { error: (err as Error).message });
    }
    const a = analysed.analysis;
    const voice = a.windows.some((w) => w.speech)
      ? await chooseVoice(a, {
        main,
        live: opts.live,
        twin: () => {
          let t = twins.get(id);
          if (!t) {
            t = findRun(opts.resultsDir, strictTwin(main.config)).then((dir) =>
              dir ? loadRunModel(dir) : null
            );
            twins.set(id, t);
          }
          return t;
        },
        twinWhere: opts.resultsDir,
      })
      : null;
    const timeline = ["1", "true"].includes(url.searchParams.get("timeline") ?? "");
    const { json: answer } = answerRecording(analysed, voice, main.dir, timeline);
    const policy = normPolicy(main.config.eval.speakerNorm);
    return json(200, {
      run: main.dir,
      setting: policy.strict ? "strict" : policy.name,
      labels: main.predictor.labels,
      results: [answer],
      errors: [],
    });
  };
}
