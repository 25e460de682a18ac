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
