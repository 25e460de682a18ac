/**
 * Building the live page's script (Deno only): esbuild, pinned in deno.json and fetched by
 * `deno install` with its platform binary, bundles `lib/web/app.ts` with the same lib modules
 * (decode, resample, features, scaler, model) and tfjs from the project's npm dependencies. Not
 * `deno bundle`: that downloads esbuild on first use, so an offline machine could not serve the
 * page. Written atomically.
 */
import { dirname, join } from "node:path";
import * as esbuild from "esbuild";
import { PROJECT_ROOT } from "../util/project.ts";

export const APP_ENTRY = join(PROJECT_ROOT, "lib", "web", "app.ts");

export async function buildLiveBundle(outPath: string): Promise<void> {
  await Deno.mkdir(dirname(outPath), { recursive: true });
  const tmp = `${outPath}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const result = await esbuild.build({
      entryPoints: [APP_ENTRY],
      absWorkingDir: PROJECT_ROOT,
      bundle: true,
      platform: "browser",
      format: "esm",
      minify: true,
      outfile: tmp,
      logLevel: "silent",
    });
    if (result.errors.length) throw new Error(result.errors.map((e) => e.text).join("\n"));
    await Deno.rename(tmp, outPath);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`bundling ${APP_ENTRY} failed:\n${(err as Error).message}`);
  } finally {
    // esbuild keeps a service process alive between builds; a server bundles once.
    await esbuild.stop();
  }
}
