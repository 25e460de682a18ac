/**
 * Plotly figures for signals and features: waveform and spectrogram grids, distributions by
 * group, plain bar charts. Pure, like `figures.ts`.
 */
import type { Figure } from "./figures.ts";
import type { FrameFeatures } from "../features/extract.ts";
import { powerToDb } from "../features/spectral.ts";

const BASE_LAYOUT = { margin: { l: 60, r: 20, t: 50, b: 50 }, font: { size: 12 } };

/**
 * At most `points` samples that keep the waveform's look: each bucket contributes its largest
 * and smallest sample in time order, so peaks survive (plain striding would alias them away).
 */
export function envelopePoints(
  samples: Float32Array,
  sampleRateHz: number,
  points = 1600,
): { t: number[]; y: number[] } {
  const buckets = Math.max(1, Math.floor(points / 2));
  const size = Math.max(1, Math.ceil(samples.length / buckets));
  const t: number[] = [];
  const y: number[] = [];
  for (let start = 0; start < samples.length; start += size) {
    const end = Math.min(samples.length, start + size);
    let lo = start, hi = start;
    for (let i = start; i < end; i++) {
      if (samples[i] < samples[lo]) lo = i;
      if (samples[i] > samples[hi]) hi = i;
    }
    for (const i of lo === hi ? [lo] : lo < hi ? [lo, hi] : [hi, lo]) {
      t.push(+(i / sampleRateHz).toFixed(5));
      y.push(+samples[i].toFixed(4));
    }
  }
  return { t, y };
}

interface Panel {
  label: string;
  traces: Record<string, unknown>[];
  xTitle?: string;
  yTitle?: string;
}

/** Panels on a grid with independent axes; each panel's label titles its x axis. */
function gridFigure(panels: Panel[], columns: number, title: string, rowHeight: number): Figure {
  const rows = Math.ceil(panels.length / columns);
  const layout: Record<string, unknown> = {
    ...BASE_LAYOUT,
    title: { text: title },
    grid: { rows, columns, pattern: "independent", ygap: 0.45, xgap: 0.12 },
    height: 80 + rows * rowHeight,
    showlegend: false,
  };
  const data: Record<string, unknown>[] = [];
  panels.forEach((p, i) => {
    const k = i === 0 ? "" : String(i + 1);
    for (const trace of p.traces) data.push({ ...trace, xaxis: `x${k}`, yaxis: `y${k}` });
    layout[`xaxis${k}`] = { title: { text: p.xTitle ? `${p.label} (${p.xTitle})` : p.label } };
    layout[`yaxis${k}`] = p.yTitle ? { title: { text: p.yTitle } } : {};
  });
  return { data, layout };
}

export interface SignalItem {
  label: string;
  samples: Float32Array;
  sampleRateHz: number;
}

export function waveformGridFigure(items: SignalItem[], title: string, columns = 2): Figure {
  return gridFigure(
    items.map((it) => {
      const { t, y } = envelopePoints(it.samples, it.sampleRateHz);
      return {
        label: it.label,
        xTitle: "s",
        traces: [{ type: "scatter", mode: "lines", x: t, y, line: { width: 1 } }],
      };
    }),
    columns,
    title,
    180,
  );
}

export interface SpectrogramItem {
  label: string;
  /** Frame-major `[frames][bins]` values in dB. */
  db: Float32Array;
  frames: number;
  bins: number;
  /** Seconds between frames. */
  hopS: number;
}

/** A clip's mel power spectrogram (feature-major, as extracted) in dB, frame-major for plotting. */
export function melSpectrogramItem(
  label: string,
  frames: FrameFeatures,
  nMels: number,
  hopS: number,
): SpectrogramItem {
  const db = powerToDb(frames.mel);
  const out = new Float32Array(frames.nFrames * nMels);
  for (let m = 0; m < nMels; m++) {
    for (let f = 0; f < frames.nFrames; f++) out[f * nMels + m] = db[m * frames.nFrames + f];
  }
  return { label, db: out, frames: frames.nFrames, bins: nMels, hopS };
}

/** Heatmaps of frame-major dB matrices; values rounded to 0.1 dB to keep the JSON small. */
export function spectrogramGridFigure(
  items: SpectrogramItem[],
  title: string,
  columns = 2,
): Figure {
  return gridFigure(
    items.map((it) => {
      const z: number[][] = [];
      for (let b = 0; b < it.bins; b++) {
        const row = new Array<number>(it.frames);
        for (let f = 0; f < it.frames; f++) row[f] = Math.round(it.db[f * it.bins + b] * 10) / 10;
        z.push(row);
      }
      const x = Array.from({ length: it.frames }, (_, f) => +(f * it.hopS).toFixed(3));
      return {
        label: it.label,
        xTitle: "s",
        yTitle: "mel band",
        traces: [{ type: "heatmap", z, x, colorscale: "Viridis", showscale: false }],
      };
    }),
    columns,
    title,
    220,
  );
}

/** Grouped bars: one trace per series over shared categories. */
export function barFigure(
  categories: string[],
  series: { name: string; values: number[]; text?: string[]; color?: string | string[] }[],
  title: string,
  opts: { yTitle?: string; yRange?: [number, number]; height?: number; stacked?: boolean } = {},
): Figure {
  return {
    data: series.map((s) => ({
      type: "bar",
      name: s.name,
      x: categories,
      y: s.values,
      ...(s.text ? { text: s.text, textposition: "auto" } : {}),
      ...(s.color ? { marker: { color: s.color } } : {}),
    })),
    layout: {
      ...BASE_LAYOUT,
      title: { text: title },
      barmode: opts.stacked ? "stack" : "group",
      yaxis: {
        ...(opts.yTitle ? { title: { text: opts.yTitle } } : {}),
        ...(opts.yRange ? { range: opts.yRange } : {}),
      },
      height: opts.height ?? 360,
      showlegend: series.length > 1,
    },
  };
}

/** A single heatmap of a frame-major matrix (e.g. one clip's log-mel sequence). */
export function heatmapFigure(item: SpectrogramItem, title: string, zTitle = "dB"): Figure {
  const fig = spectrogramGridFigure([item], title, 1);
  fig.data[0] = { ...fig.data[0], showscale: true, colorbar: { title: { text: zTitle } } };
  fig.layout.height = 360;
  return fig;
}

export function histogramFigure(
  values: number[],
  title: string,
  xTitle: string,
  bins = 30,
): Figure {
  return {
    data: [{ type: "histogram", x: values, nbinsx: bins }],
    layout: {
      ...BASE_LAYOUT,
      title: { text: title },
      xaxis: { title: { text: xTitle } },
      yaxis: { title: { text: "clips" } },
      height: 320,
    },
  };
}

/** Box plots on a grid: one panel per measure, one box per group within it. */
export function boxGridFigure(
  panels: { label: string; groups: { name: string; values: number[] }[] }[],
  title: string,
  columns = 2,
): Figure {
  return gridFigure(
    panels.map((p) => ({
      label: p.label,
      traces: p.groups.map((g) => ({ type: "box", name: g.name, y: g.values, boxpoints: false })),
    })),
    columns,
    title,
    260,
  );
}
