/**
 * Jupyter mime bundles for what the notebooks show: Plotly figures, tables, audio players,
 * markdown. Pure: the notebook display helpers hand these to `Deno.jupyter.display`, tests
 * inspect them, and the text/plain entry is what a terminal or a plain-text viewer shows.
 */
import { escapeHtml } from "../util/html.ts";
import type { Figure } from "./figures.ts";
import { encodeWav } from "../audio/wav.ts";
import { encodeBase64Bytes } from "../util/base64.ts";

export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

export type MimeBundle = Record<string, string | object>;

function figureTitle(fig: Figure): string {
  const title = fig.layout.title as { text?: string } | string | undefined;
  return typeof title === "string" ? title : title?.text ?? "chart";
}

export function figureBundle(fig: Figure): MimeBundle {
  return {
    [PLOTLY_MIME]: { data: fig.data, layout: fig.layout },
    "text/plain": `[Plotly chart: ${figureTitle(fig)}]`,
  };
}

export type Cell = string | number | boolean | null | undefined;

function cellText(v: Cell): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    return Number.isInteger(v)
      ? String(v)
      : Math.abs(v) >= 1e-3 || v === 0
      ? v.toFixed(3)
      : v.toExponential(2);
  }
  return String(v);
}

/**
 * A table of rows (one object per row; columns from the first row unless given), as HTML and as
 * aligned text.
 */
export function tableBundle(
  rows: readonly Record<string, Cell>[],
  opts: { columns?: string[]; caption?: string } = {},
): MimeBundle {
  const columns = opts.columns ?? Object.keys(rows[0] ?? {});
  const cells = rows.map((r) => columns.map((c) => cellText(r[c])));
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = cells.map((r) =>
    `<tr>${r.map((v) => `<td style="text-align:right">${escapeHtml(v)}</td>`).join("")}</tr>`
  ).join("\n");
  const caption = opts.caption ? `<caption>${escapeHtml(opts.caption)}</caption>` : "";
  const widths = columns.map((c, j) => Math.max(c.length, ...cells.map((r) => r[j].length)));
  const line = (r: string[]) => r.map((v, j) => v.padStart(widths[j])).join("  ");
  const text = [
    ...(opts.caption ? [opts.caption] : []),
    line(columns),
    ...cells.map(line),
  ].join("\n");
  return {
    "text/html":
      `<table>${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`,
    "text/plain": text,
  };
}

/** A WAV data URI, 16-bit mono: players work offline, in the executed notebook and its HTML. */
export function wavDataUri(samples: Float32Array, sampleRateHz: number): string {
  return `data:audio/wav;base64,${encodeBase64Bytes(encodeWav(samples, sampleRateHz))}`;
}

export interface AudioItem {
  label: string;
  samples: Float32Array;
  sampleRateHz: number;
}

/** One or more labelled audio players in a row-per-item table. */
export function audioBundle(items: readonly AudioItem[]): MimeBundle {
  const rows = items.map((a) =>
    `<tr><td style="text-align:left">${escapeHtml(a.label)}</td><td>` +
    `<audio controls preload="none" src="${wavDataUri(a.samples, a.sampleRateHz)}"></audio>` +
    `</td></tr>`
  );
  return {
    "text/html": `<table class="ser-audio">\n${rows.join("\n")}\n</table>`,
    "text/plain": items.map((a) =>
      `[audio: ${a.label}, ${
        (a.samples.length / a.sampleRateHz).toFixed(2)
      } s at ${a.sampleRateHz} Hz]`
    ).join("\n"),
  };
}

export { escapeHtml };
