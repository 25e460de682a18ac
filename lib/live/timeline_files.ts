/**
 * A recording's emotion timeline as files a user opens: CSV (one row per window), JSON (the
 * same with the file's summary) and an HTML page with a Plotly chart (plotly.js loaded from
 * beside the page, so it opens offline). Pure: strings in, strings out.
 */
import { escapeHtml } from "../util/html.ts";
import type { TimelineWindow } from "./timeline.ts";

export interface TimelineSummary {
  file: string;
  run: string;
  labels: string[];
  durationS: number;
  speechSpanS: [number, number] | null;
  /** How the voice was normalised, in words. */
  voice: string;
  /** Mean over the speech windows; null when there are none. */
  mean: Float32Array | null;
  windows: TimelineWindow[];
}

const round = (v: number, digits = 4) => Number(v.toFixed(digits));

function best(labels: string[], probs: Float32Array | null): string {
  if (!probs) return "";
  let k = 0;
  for (let c = 1; c < probs.length; c++) if (probs[c] > probs[k]) k = c;
  return labels[k];
}

export function timelineCsv(s: TimelineSummary): string {
  const head = ["start_s", "end_s", "speech", "predicted", ...s.labels].join(",");
  const rows = s.windows.map((w) =>
    [
      w.startS.toFixed(3),
      w.endS.toFixed(3),
      w.speech ? 1 : 0,
      best(s.labels, w.probs),
      ...s.labels.map((_, c) => (w.probs ? w.probs[c].toFixed(6) : "")),
    ].join(",")
  );
  return [head, ...rows].join("\n") + "\n";
}

export function timelineJson(s: TimelineSummary): unknown {
  const probs = (p: Float32Array | null) =>
    p ? Object.fromEntries(s.labels.map((l, c) => [l, round(p[c], 6)])) : null;
  return {
    file: s.file,
    run: s.run,
    durationS: round(s.durationS, 3),
    speechSpanS: s.speechSpanS?.map((v) => round(v, 3)) ?? null,
    voice: s.voice,
    predicted: best(s.labels, s.mean) || null,
    mean: probs(s.mean),
    windows: s.windows.map((w) => ({
      startS: round(w.startS, 3),
      endS: round(w.endS, 3),
      speech: w.speech,
      ...(w.speech ? {} : { why: w.why }),
      predicted: best(s.labels, w.probs) || null,
      probabilities: probs(w.probs),
    })),
  };
}

/** The page: one line per emotion over time (window centres), the mean as bars. */
export function timelineHtml(s: TimelineSummary, plotlySrc = "plotly.js"): string {
  const scored = s.windows.filter((w) => w.probs);
  const x = scored.map((w) => round((w.startS + w.endS) / 2, 3));
  const lines = s.labels.map((label, c) => ({
    type: "scatter",
    mode: "lines",
    name: label,
    x,
    y: scored.map((w) => round(w.probs![c], 4)),
  }));
  const bars = [{
    type: "bar",
    x: s.labels,
    y: s.labels.map((_, c) => (s.mean ? round(s.mean[c], 4) : 0)),
  }];
  const title = escapeHtml(s.file);
  const top = best(s.labels, s.mean);
  const headline = s.mean
    ? `${escapeHtml(top)} ${
      (100 * Math.max(...s.mean)).toFixed(1)
    } % (mean of ${scored.length} speech window${scored.length === 1 ? "" : "s"})`
    : "no speech";
  const data = JSON.stringify({ lines, bars }).replace(/</g, "\\u003c");
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}: emotion timeline</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5em;max-width:70em}p.note{color:#555}</style>
<script src="${escapeHtml(plotlySrc)}"></script></head>
<body>
<h1>${title}</h1>
<p><b>${headline}</b></p>
<p class="note">${s.durationS.toFixed(2)} s; speech ${
    s.speechSpanS ? `${s.speechSpanS[0].toFixed(2)}-${s.speechSpanS[1].toFixed(2)} s` : "none"
  }; ${escapeHtml(s.voice)}; run ${escapeHtml(s.run)}</p>
<div id="timeline" style="height:420px"></div>
<div id="mean" style="height:320px"></div>
<script>
const d = ${data};
if (window.Plotly) {
  Plotly.newPlot("timeline", d.lines, {title: {text: "Emotion over time (each speech window)"},
    xaxis: {title: {text: "seconds"}}, yaxis: {title: {text: "probability"}, range: [0, 1]}});
  Plotly.newPlot("mean", d.bars, {title: {text: "Mean over the speech windows"},
    yaxis: {range: [0, 1]}});
} else {
  document.getElementById("timeline").textContent = "plotly.js did not load: the CSV beside this page has the numbers.";
}
</script>
</body></html>
`;
}
