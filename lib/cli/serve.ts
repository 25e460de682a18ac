/**
 * `deno task serve [--port=8000] [--host=127.0.0.1] [--run=ID] [--key=value ...]`: the live page.
 * Bundles `lib/web/app.ts` with esbuild (installed by `deno install`), then serves the page, plotly.js (from the
 * project's `plotly.js-dist`), the runs under `resultsDir` and nothing else. Binds to the
 * loopback address unless `--host` says otherwise.
 */
import { join } from "node:path";
import { DEFAULT_CONFIG, type FlagSpec, parseArgs } from "../config/config.ts";
import { PROJECT_ROOT } from "../util/project.ts";
import { buildLiveBundle } from "../web/bundle.ts";
import { PLOTLY_SOURCE } from "../plots/plotly_fs.ts";
import { createLiveHandler } from "../web/server.ts";
import { chooseGemm } from "../model/blas_ffi.ts";
import { useTrainingBackend } from "../model/backend.ts";
import { createPredictApi, DEFAULT_MAX_BODY_BYTES } from "../web/predict_api.ts";
import { listRuns } from "../run/store.ts";
import { fromRoot, runCli, withUserPaths } from "./common.ts";

/** `--port` (default 8000), `--host` (default loopback) and `--run` (the run shown first). */
export const SERVE_FLAGS = {
  port: {
    kind: "integer",
    check: (v) => (v as number) >= 0 && (v as number) <= 65535 ? undefined : "expected 0-65535",
  },
  host: { kind: "string" },
  run: { kind: "string" },
  maxBodyMb: {
    kind: "integer",
    check: (v) => (v as number) >= 1 ? undefined : "expected a size in MB >= 1",
  },
} satisfies Record<string, FlagSpec>;

if (import.meta.main) {
  await runCli(async () => {
    const parsed = parseArgs(Deno.args, DEFAULT_CONFIG, SERVE_FLAGS);
    const { flags } = parsed;
    const config = withUserPaths(parsed.config, Deno.args);
    const port = (flags.port as number | undefined) ?? 8000;
    const host = (flags.host as string | undefined) ?? "127.0.0.1";
    const run = (flags.run as string | undefined) ?? "";
    const resultsDir = fromRoot(config.resultsDir);
    // POST /api/predict runs the models here: on the project's backend (BLAS or wasm GEMMs).
    await useTrainingBackend(chooseGemm(config.train.gemm, 1).gemm);
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
      host,
      predict: createPredictApi({
        resultsDir,
        live: config.live,
        defaultRun: run,
        maxBodyBytes: flags.maxBodyMb
          ? (flags.maxBodyMb as number) * 1024 * 1024
          : DEFAULT_MAX_BODY_BYTES,
      }),
    });
    if (!["127.0.0.1", "localhost", "::1"].includes(host)) {
      console.error(
        `WARNING: --host=${host} exposes the page and POST /api/predict to every machine that can ` +
          "reach this one; anyone there can classify audio with your runs and read their reports",
      );
    }
    Deno.serve({
      port,
      hostname: host,
      onListen: ({ hostname, port }) => {
        const shown = hostname.includes(":") ? `[${hostname}]` : hostname;
        console.log(
          `live page: http://${shown}:${port}/ (${runs.length} run(s); newest ${
            runs[0]?.id ?? "none"
          }); POST a WAV to http://${shown}:${port}/api/predict; Ctrl-C stops`,
        );
      },
    }, handler);
  });
}
