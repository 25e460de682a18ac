/**
 * plotly.js on disk (Deno only): the project's `plotly.js-dist` dependency, which reports, the
 * notebooks' HTML exports and the live page load from beside them (no CDN, so they open offline).
 */
import { join } from "node:path";
import { PROJECT_ROOT } from "../util/project.ts";

export const PLOTLY_FILE = "plotly.js";
/** plotly.js as the project's `plotly.js-dist` dependency ships it. */
export const PLOTLY_SOURCE = join(PROJECT_ROOT, "node_modules", "plotly.js-dist", "plotly.js");

/** plotly.js copied into `dir`; `ok: false` and why when the dependency is missing. */
export async function copyPlotly(dir: string): Promise<{ ok: boolean; why?: string }> {
  try {
    await Deno.copyFile(PLOTLY_SOURCE, join(dir, PLOTLY_FILE));
    return { ok: true };
  } catch (err) {
    return { ok: false, why: `${PLOTLY_SOURCE}: ${(err as Error).message}; run deno install` };
  }
}

/**
 * One plotly.js for every report in `resultsDir` (`<resultsDir>/plotly.js`, copied once, under
 * a temporary name and renamed): a hundred runs are not a hundred 10 MB copies. Reports load
 * `../plotly.js`; a run folder moved on its own opens with its tables, and draws its charts once
 * plotly.js is copied beside it (the report tries there too).
 */
export async function sharePlotly(resultsDir: string): Promise<{ ok: boolean; why?: string }> {
  const target = join(resultsDir, PLOTLY_FILE);
  try {
    const [have, want] = await Promise.all([Deno.stat(target), Deno.stat(PLOTLY_SOURCE)]);
    if (have.size === want.size) return { ok: true };
  } catch {
    // missing (or no source): copied below
  }
  const temp = `${target}.tmp-${Deno.pid}`;
  try {
    await Deno.mkdir(resultsDir, { recursive: true });
    await Deno.copyFile(PLOTLY_SOURCE, temp);
    await Deno.rename(temp, target);
    return { ok: true };
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    return { ok: false, why: `${PLOTLY_SOURCE}: ${(err as Error).message}; run deno install` };
  }
}
