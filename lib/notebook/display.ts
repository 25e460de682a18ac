/**
 * Showing things in a notebook (Deno-only). Inside Deno's Jupyter kernel these send mime bundles
 * (Plotly figures, tables, audio) with `Deno.jupyter.display`; anywhere else (`deno run`, tests)
 * `Deno.jupyter` does not exist and they print the bundle's text/plain form instead, so the same
 * code runs in both.
 */
import type { Figure } from "../plots/figures.ts";
import {
  audioBundle,
  type AudioItem,
  type Cell,
  figureBundle,
  type MimeBundle,
  tableBundle,
} from "../plots/bundles.ts";

interface JupyterApi {
  display(obj: unknown, opts?: { raw?: boolean; update?: boolean; display_id?: string }): Promise<
    void
  >;
}

/** The kernel's display API, or null outside a Jupyter kernel. */
export function jupyter(): JupyterApi | null {
  const api = (Deno as unknown as { jupyter?: Partial<JupyterApi> }).jupyter;
  return typeof api?.display === "function" ? api as JupyterApi : null;
}

export async function show(bundle: MimeBundle): Promise<void> {
  const api = jupyter();
  if (api) await api.display(bundle, { raw: true });
  else console.log(String(bundle["text/plain"] ?? ""));
}

export const showFigure = (fig: Figure) => show(figureBundle(fig));
export const showTable = (
  rows: readonly Record<string, Cell>[],
  opts?: { columns?: string[]; caption?: string },
) => show(tableBundle(rows, opts));
export const showAudio = (items: readonly AudioItem[]) => show(audioBundle(items));

export interface LiveDisplay {
  update(bundle: MimeBundle): Promise<void>;
}

/**
 * One output that later updates replace in place (Jupyter's display ids): a chart that redraws
 * every epoch instead of a new chart per epoch. Outside a kernel only the first and the last
 * state print, not every update.
 */
export async function liveDisplay(initial: MimeBundle): Promise<LiveDisplay & { close(): void }> {
  const api = jupyter();
  const displayId = `ser-live-${crypto.randomUUID()}`;
  let last = initial;
  if (api) await api.display(initial, { raw: true, display_id: displayId });
  else console.log(String(initial["text/plain"] ?? ""));
  return {
    async update(bundle) {
      last = bundle;
      if (api) await api.display(bundle, { raw: true, update: true, display_id: displayId });
    },
    close() {
      if (!api) console.log(String(last["text/plain"] ?? ""));
    },
  };
}
