/**
 * `deno task serve [--port=8000] [--host=127.0.0.1] [--run=ID] [--key=value ...]`: the live page.
 * Bundles `lib/web/app.ts` with esbuild (installed by `deno install`), then serves the page, plotly.js (from the
 * project's `plotly.js-dist`), the runs under `resultsDir` and nothing else. Binds to the
 * loopback address unless `--host` says otherwise.
 */
import { join } from "node:path";
import { parseArgs } from "../config/config.ts";
import { PROJECT_ROOT } from "../corpus/locate.ts";
import { buildLiveBundle } from "../web/bundle.ts";
import { PLOTLY_SOURCE } from "../pipeline/experiment.ts";
import { createLiveHandler, listRuns } from "../web/server.ts";
import { takeRunArg } from "./predict.ts";
import { fromRoot, runCli } from "./common.ts";

export interface ServeArgs {
  port: number;
  host: string;
  rest: string[];
}

/** Splits `--port` and `--host` off the arguments (either `--port=N` or `--port N`). */
export function takeServeArgs(args: readonly string[]): ServeArgs {
  let port = 8000;
  let host = "127.0.0.1";
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const m = /^--(port|host)(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new Error(`--${m[1]} needs a value`);
    if (m[1] === "host") host = value;
    else {
      port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new Error(`--port: expected 0-65535, got '${value}'`);
      }
    }
  }
  return { port, host, rest };
}

if (import.meta.main) {
  await runCli(async () => {
    const { port, host, rest } = takeServeArgs(Deno.args);
    const { run, rest: settings } = takeRunArg(rest);
    const { config } = parseArgs(settings);
    const resultsDir = fromRoot(config.resultsDir);
    const bundlePath = join(PROJECT_ROOT, "data", "web", "app.js");
    console.error("bundling lib/web/app.ts (esbuild)…");
    await buildLiveBundle(bundlePath);
    const runs = await listRuns(resultsDir);
    if (run && !runs.some((r) => r.id === run)) {
      throw new Error(`--run=${run}: no finished run with models of that name in ${resultsDir}`);
    }
    if (!runs.length) {
      console.error(`no trained runs in ${resultsDir} yet: run \`deno task reproduce\` first`);
    }
    const handler = createLiveHandler({
      resultsDir,
      pageDir: join(PROJECT_ROOT, "lib", "web", "page"),
      bundlePath,
      plotlyPath: PLOTLY_SOURCE,
      live: config.live,
      defaultRun: run,
    });
    Deno.serve({
      port,
      hostname: host,
      onListen: ({ hostname, port }) => {
        const shown = hostname.includes(":") ? `[${hostname}]` : hostname;
        console.log(
          `live page: http://${shown}:${port}/ (${runs.length} run(s); newest ${
            runs[0]?.id ?? "none"
          }); Ctrl-C stops`,
        );
      },
    }, handler);
  });
}
