/**
 * Plotly figures (plain JSON: `{data, layout}`) for a run's results. Pure: the same figures go
 * into `report.html`, notebook cells (as `application/vnd.plotly.v1+json`) and a browser page.
 */
import type { Metrics } from "../eval/metrics.ts";
import type { RunHistory, RunSummary } from "../eval/summary.ts";

export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

const BASE_LAYOUT = { margin: { l: 70, r: 20, t: 50, b: 60 }, font: { size: 12 } };

/** Confusion matrix heatmap; `normalise` divides each true-class row by its support. */
export function confusionFigure(m: Metrics, normalise: boolean, title?: string): Figure {
  const z = m.confusion.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (normalise ? (total ? v / total : 0) : v));
  });
  const text = z.map((row) => row.map((v) => (normalise ? v.toFixed(2) : String(v))));
  return {
    data: [{
      type: "heatmap",
      z,
      x: m.labels,
      y: m.labels,
      text,
      texttemplate: "%{text}",
      colorscale: "Blues",
      hovertemplate: "true %{y}<br>predicted %{x}<br>%{text}<extra></extra>",
    }],
    layout: {
      ...BASE_LAYOUT,
      title: {
        text: title ??
          (normalise ? "Confusion matrix (rows sum to 1)" : "Confusion matrix (counts)"),
      },
      xaxis: { title: { text: "predicted" } },
      yaxis: { title: { text: "true" }, autorange: "reversed" },
      width: 560,
      height: 500,
    },
  };
}

export function perClassF1Figure(m: Metrics): Figure {
  return {
    data: [
      { type: "bar", name: "precision", x: m.labels, y: m.perClass.map((c) => c.precision) },
      { type: "bar", name: "recall", x: m.labels, y: m.perClass.map((c) => c.recall) },
      { type: "bar", name: "F1", x: m.labels, y: m.perClass.map((c) => c.f1) },
    ],
    layout: {
      ...BASE_LAYOUT,
      title: { text: "Per-class precision, recall and F1 (pooled test rows)" },
      barmode: "group",
      yaxis: { range: [0, 1] },
      height: 380,
    },
  };
}

/** Loss and accuracy per epoch, one line per fold (validation lines when there are any). */
export function trainingCurvesFigure(history: RunHistory): Figure {
  const data: Record<string, unknown>[] = [];
  for (const f of history.folds) {
    const x = f.epochs.map((e) => e.epoch);
    data.push({
      type: "scatter",
      mode: "lines",
      name: `${f.name} loss`,
      x,
      y: f.epochs.map((e) => e.loss),
      yaxis: "y",
    });
    data.push({
      type: "scatter",
      mode: "lines",
      name: `${f.name} train acc`,
      x,
      y: f.epochs.map((e) => e.accuracy),
      yaxis: "y2",
      line: { dash: "dot" },
    });
    if (f.epochs.some((e) => e.valAccuracy !== undefined)) {
      data.push({
        type: "scatter",
        mode: "lines",
        name: `${f.name} val acc`,
        x,
        y: f.epochs.map((e) => e.valAccuracy ?? null),
        yaxis: "y2",
        line: { dash: "dash" },
      });
    }
  }
  return {
    data,
    layout: {
      ...BASE_LAYOUT,
      title: { text: "Training curves" },
      xaxis: { title: { text: "epoch" } },
      yaxis: { title: { text: "loss" }, domain: [0.55, 1] },
      yaxis2: { title: { text: "accuracy" }, domain: [0, 0.45], range: [0, 1] },
      height: 560,
    },
  };
}

export function learningRateFigure(history: RunHistory): Figure {
  return {
    data: history.folds.map((f) => ({
      type: "scatter",
      mode: "lines+markers",
      name: f.name,
      x: f.epochs.map((e) => e.epoch),
      y: f.epochs.map((e) => e.learningRate),
    })),
    layout: {
      ...BASE_LAYOUT,
      title: { text: "Learning rate (ReduceLROnPlateau on training loss)" },
      xaxis: { title: { text: "epoch" } },
      yaxis: { type: "log", title: { text: "learning rate" } },
      height: 340,
    },
  };
}

export function foldAccuracyFigure(s: RunSummary): Figure {
  return {
    data: [
      {
        type: "bar",
        name: "accuracy",
        x: s.folds.map((f) => f.name),
        y: s.folds.map((f) => f.metrics.accuracy),
      },
      {
        type: "bar",
        name: "UAR",
        x: s.folds.map((f) => f.name),
        y: s.folds.map((f) => f.metrics.uar),
      },
      {
        type: "bar",
        name: "macro-F1",
        x: s.folds.map((f) => f.name),
        y: s.folds.map((f) => f.metrics.macroF1),
      },
    ],
    layout: {
      ...BASE_LAYOUT,
      title: { text: `Per fold (${s.protocol}${s.leaky ? ", LEAKY" : ""})` },
      barmode: "group",
      yaxis: { range: [0, 1] },
      height: 360,
    },
  };
}

/** The charts of a run, in report order. */
export function runFigures(s: RunSummary, history: RunHistory): { id: string; figure: Figure }[] {
  return [
    { id: "folds", figure: foldAccuracyFigure(s) },
    { id: "confusion-counts", figure: confusionFigure(s.primary.pooled, false) },
    { id: "confusion-normalised", figure: confusionFigure(s.primary.pooled, true) },
    { id: "per-class", figure: perClassF1Figure(s.primary.pooled) },
    { id: "curves", figure: trainingCurvesFigure(history) },
    { id: "learning-rate", figure: learningRateFigure(history) },
  ];
}

/**
 * HTML for figures: one div per figure and a script that draws them with a `Plotly` global
 * loaded by the page (the report loads `plotly.js` from beside itself: no network).
 */
export function figuresHtml(figures: { id: string; figure: Figure }[]): string {
  const divs = figures.map((f) => `<div class="chart" id="chart-${f.id}"></div>`).join("\n");
  const json = JSON.stringify(figures.map((f) => ({ id: `chart-${f.id}`, ...f.figure })))
    .replace(/</g, "\\u003c");
  return `${divs}
<script>
(function () {
  var figs = ${json};
  if (typeof Plotly === "undefined") {
    figs.forEach(function (f) { document.getElementById(f.id).textContent = "(chart needs plotly.js beside this page)"; });
    return;
  }
  figs.forEach(function (f) { Plotly.newPlot(f.id, f.data, f.layout, { responsive: true, displaylogo: false }); });
})();
</script>`;
}

/** Accuracy per protocol with its spread over folds; leaky protocols in red and labelled. */
export function protocolComparisonFigure(runs: readonly RunSummary[]): Figure {
  return {
    data: [{
      type: "bar",
      x: runs.map((s) => (s.leaky ? `${s.protocol} (LEAKY)` : s.protocol)),
      y: runs.map((s) => s.primary.accuracy.mean),
      error_y: { type: "data", array: runs.map((s) => s.primary.accuracy.std), visible: true },
      text: runs.map((s) => `${(100 * s.primary.accuracy.mean).toFixed(1)} %`),
      textposition: "outside",
      marker: { color: runs.map((s) => (s.leaky ? "#d62728" : "#1f77b4")) },
    }],
    layout: {
      ...BASE_LAYOUT,
      title: { text: `Accuracy by evaluation protocol (${runs[0]?.model ?? ""} model)` },
      yaxis: { range: [0, 1], title: { text: "test accuracy (mean over folds)" } },
      height: 380,
      showlegend: false,
    },
  };
}
