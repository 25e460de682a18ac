/**
 * `report.html`: the run's tables and charts in one page that needs no network: charts are drawn
 * by `plotly.js` copied beside the page (the tables read fine without it). Pure.
 */
import type { Metrics } from "./metrics.ts";
import { type RunSummary, testSpeakersText } from "./summary.ts";
import { escapeHtml as esc } from "../util/html.ts";

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

function confusionTable(m: Metrics): string {
  const max = Math.max(1, ...m.confusion.flat());
  const head = `<tr><th>true \\ predicted</th>${
    m.labels.map((l) => `<th>${esc(l)}</th>`).join("")
  }</tr>`;
  const rows = m.confusion.map((row, i) =>
    `<tr><th>${esc(m.labels[i])}</th>${
      row.map((v) =>
        `<td style="background:rgba(31,119,180,${(0.85 * v / max).toFixed(3)})">${v}</td>`
      ).join("")
    }</tr>`
  );
  return `<table class="cm">${head}${rows.join("")}</table>`;
}

function perClassTable(m: Metrics): string {
  const rows = m.perClass.map((c) =>
    `<tr><td>${esc(c.label)}</td><td>${c.precision.toFixed(3)}</td><td>${
      c.recall.toFixed(3)
    }</td><td>${c.f1.toFixed(3)}</td><td>${c.support}</td></tr>`
  );
  return `<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>${
    rows.join("")
  }</table>`;
}

export interface ReportContext {
  configJson: string;
  createdAt: string;
  corpus: string;
  /** Extra HTML sections (charts) appended after the tables. */
  extraSections?: string[];
  /**
   * Local scripts the page loads first. Each is tried at its first path, then at the next ones
   * while `window.Plotly` is still missing: a report loads the results folder's one plotly.js
   * (`../plotly.js`), or one copied beside it when the run folder was moved on its own.
   */
  scripts?: string[][];
}

/** `<script>` for `paths[0]`, then each later path written only if the earlier did not load. */
function scriptTags(paths: string[]): string {
  const [first, ...rest] = paths;
  return [
    `<script src="${esc(first)}"></script>`,
    ...rest.map((src) =>
      `<script>window.Plotly || document.write('<script src="${esc(src)}"><\\/script>');</script>`
    ),
  ].join("\n");
}

export function renderReport(s: RunSummary, ctx: ReportContext): string {
  const p = s.primary;
  const warn = s.leaky
    ? `<p class="leaky">LEAKY PROTOCOL: rows derived from one recording are on both sides of the split. This number shows how leakage inflates accuracy; it does not estimate accuracy on new recordings or speakers.</p>`
    : "";
  const folds = s.folds.map((f) =>
    `<tr><td>${esc(f.name)}</td><td>${
      esc(testSpeakersText(s.protocol, f.testActors, ", "))
    }</td><td>${f.trainRows}</td><td>${f.testRows}</td><td>${pct(f.metrics.accuracy)}</td><td>${
      pct(f.metrics.uar)
    }</td><td>${f.metrics.macroF1.toFixed(3)}</td><td>${
      f.metrics7 ? pct(f.metrics7.accuracy) : "–"
    }</td><td>${f.trainSeconds.toFixed(0)}</td></tr>`
  );
  const spread = (m: { mean: number; std: number }) =>
    `${pct(m.mean)} ± ${(100 * m.std).toFixed(1)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ser-deno run ${esc(s.runId)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}.cm td{min-width:3em;text-align:center}
.leaky{background:#fdd;border:2px solid #c00;padding:.8em;font-weight:bold}
pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:12px}
</style>
${(ctx.scripts ?? []).map(scriptTags).join("\n")}
</head><body>
<h1>Run ${esc(s.runId)}</h1>
<p>Model <b>${esc(s.model)}</b>. Protocol <b>${esc(s.protocol)}</b>: ${esc(s.protocolText)}.</p>
${warn}
<p>Corpus: ${esc(ctx.corpus)}. Created ${esc(ctx.createdAt)}.</p>
<h2>Summary (${p.labels.length} classes)</h2>
<table><tr><th>metric</th><th>mean ± std over ${s.folds.length} fold(s)</th><th>pooled test rows</th></tr>
<tr><td>accuracy</td><td>${spread(p.accuracy)}</td><td>${pct(p.pooled.accuracy)}</td></tr>
<tr><td>UAR</td><td>${spread(p.uar)}</td><td>${pct(p.pooled.uar)}</td></tr>
<tr><td>macro-F1</td><td>${p.macroF1.mean.toFixed(3)} ± ${p.macroF1.std.toFixed(3)}</td><td>${
    p.pooled.macroF1.toFixed(3)
  }</td></tr>
${
    s.merged7
      ? `<tr><td>accuracy, 7 classes (calm→neutral)</td><td>${spread(s.merged7.accuracy)}</td><td>${
        pct(s.merged7.pooled.accuracy)
      }</td></tr>`
      : ""
  }
</table>
<h2>Folds</h2>
<table><tr><th>fold</th><th>test actors</th><th>train rows</th><th>test rows</th><th>accuracy</th><th>UAR</th><th>macro-F1</th><th>acc (7)</th><th>train s</th></tr>${
    folds.join("")
  }</table>
<h2>Confusion matrix (all folds' test rows)</h2>
${confusionTable(p.pooled)}
<h2>Per class</h2>
${perClassTable(p.pooled)}
${(ctx.extraSections ?? []).join("\n")}
<h2>Configuration</h2>
<pre>${esc(ctx.configJson)}</pre>
</body></html>
`;
}
