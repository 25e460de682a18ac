/**
 * The live page's HTTP server (Deno only): the page, its bundle, plotly.js, the list of trained
 * runs and the files of one run the browser needs. Nothing else is served: run files are looked
 * up by an allow-list of names, every path segment is checked, and the resolved file must lie
 * inside the results folder (symbolic links included).
 */
import { join, resolve, sep } from "node:path";
import type { LiveConfig } from "../config/config.ts";
import { MODEL_FILES as MODEL_FILE_NAMES, RUN_FILES } from "../run/record.ts";
import { listRuns } from "../run/store.ts";

export interface LiveServerOptions {
  resultsDir: string;
  pageDir: string;
  bundlePath: string;
  plotlyPath: string;
  live: LiveConfig;
  /** Run shown first; empty means the newest. */
  defaultRun: string;
  /** The address the server listens on (`--host`), also accepted as a Host header. */
  host?: string;
  /** `POST /api/predict`: absent, the route answers 404. */
  predict?: (req: Request) => Promise<Response>;
}

/**
 * Whether a request's Host header names this server: an IP address (how a browser on the LAN
 * reaches `--host=0.0.0.0`), localhost, or the name it was started with. A page on another site
 * that points its own domain at 127.0.0.1 (DNS rebinding) sends its domain, and is refused, so it
 * cannot read the runs.
 */
export function hostAllowed(hostHeader: string | null, listenHost = "127.0.0.1"): boolean {
  if (!hostHeader) return false;
  const name = hostHeader.startsWith("[")
    ? hostHeader.slice(1, hostHeader.indexOf("]"))
    : hostHeader.replace(/:\d+$/, "");
  const lower = name.toLowerCase();
  if (lower === "localhost" || lower === listenHost.toLowerCase()) return true;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(lower)) return true;
  return lower.includes(":") && /^[0-9a-f:.]+$/.test(lower); // IPv6 literal
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".bin": "application/octet-stream",
};

const RUN_TOP_FILES = new Set<string>([RUN_FILES.config, RUN_FILES.metrics]);
const MODEL_FILES = new Set<string>(MODEL_FILE_NAMES);

function typeOf(path: string): string {
  const dot = path.lastIndexOf(".");
  return TYPES[path.slice(dot)] ?? "application/octet-stream";
}

function refuse(status: number, why: string): Response {
  return new Response(`${status} ${why}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/**
 * Decoded path segments, or null when any is empty, `.`, `..`, or hides a separator or NUL
 * (`..%2F..` arrives as one segment and is refused here).
 */
export function safeSegments(pathname: string): string[] | null {
  const parts = pathname.split("/").slice(1);
  const out: string[] = [];
  for (const raw of parts) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (!seg || seg === "." || seg === ".." || /[\\/\0]/.test(seg)) return null;
    out.push(seg);
  }
  return out;
}

async function serveFile(path: string, root: string, method = "GET"): Promise<Response> {
  let real: string;
  try {
    real = await Deno.realPath(path);
  } catch {
    return refuse(404, "not found");
  }
  const realRoot = await Deno.realPath(root).catch(() => resolve(root));
  if (real !== realRoot && !real.startsWith(realRoot + sep)) return refuse(403, "forbidden");
  const info = await Deno.stat(real);
  if (!info.isFile) return refuse(404, "not found");
  const headers = {
    "content-type": typeOf(real),
    "content-length": String(info.size),
    "cache-control": "no-store",
  };
  if (method === "HEAD") return new Response(null, { headers });
  // Streamed from disk: 200 requests for plotly.js at once must not hold 200 copies of it.
  const file = await Deno.open(real);
  return new Response(file.readable, { headers });
}

/** The request handler; `deno task serve` binds it, tests call it directly too. */
export function createLiveHandler(opts: LiveServerOptions): (req: Request) => Promise<Response> {
  const fixed: Record<string, [string, string]> = {
    "": [join(opts.pageDir, "index.html"), opts.pageDir],
    "index.html": [join(opts.pageDir, "index.html"), opts.pageDir],
    "style.css": [join(opts.pageDir, "style.css"), opts.pageDir],
    "app.js": [opts.bundlePath, opts.bundlePath],
    "vendor/plotly.js": [opts.plotlyPath, opts.plotlyPath],
  };
  return async (req) => {
    // Deno.serve builds the URL's host from the Host header; a Request made in code has no header.
    if (!hostAllowed(req.headers.get("host") ?? new URL(req.url).host, opts.host)) {
      return refuse(421, "unknown Host (this server answers to its address and localhost only)");
    }
    const { pathname } = new URL(req.url);
    if (pathname === "/api/predict" && opts.predict) return opts.predict(req);
    if (req.method !== "GET" && req.method !== "HEAD") return refuse(405, "method not allowed");
    if (pathname === "/") return serveFile(...fixed[""], req.method);
    const segs = safeSegments(pathname);
    if (!segs) return refuse(403, "forbidden path");
    const key = segs.join("/");
    if (fixed[key]) return serveFile(...fixed[key], req.method);
    if (key === "api/runs") {
      const runs = await listRuns(opts.resultsDir);
      const chosen = opts.defaultRun && runs.some((r) => r.id === opts.defaultRun)
        ? opts.defaultRun
        : runs[0]?.id ?? null;
      return Response.json({ runs, default: chosen });
    }
    if (key === "api/live") return Response.json(opts.live);
    if (segs[0] === "runs" && segs.length >= 3) {
      const [, run, ...rest] = segs;
      const allowed = (rest.length === 1 && RUN_TOP_FILES.has(rest[0])) ||
        (rest.length === 3 && rest[0] === RUN_FILES.models && MODEL_FILES.has(rest[2]));
      if (!allowed) return refuse(403, "forbidden path");
      return serveFile(join(opts.resultsDir, run, ...rest), opts.resultsDir, req.method);
    }
    return refuse(404, "not found");
  };
}
