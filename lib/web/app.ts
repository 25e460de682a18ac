/// <reference lib="dom" />
/**
 * The live page (browser only; bundled by esbuild, served by `deno task serve`). It loads a
 * trained run into tfjs, classifies the microphone every `live.hopS` seconds over the newest
 * `live.windowS` seconds, and classifies dropped WAV files, all through the same lib code as
 * `deno task predict`. `globalThis.serState` mirrors what is on screen, for the browser test.
 */
import type { LiveConfig } from "../config/defaults.ts";
import { normPolicy } from "../normalise/policy.ts";
import { useTrainingBackend } from "../model/backend.ts";
import { jsGemm } from "../model/gemm.ts";
import { createLiveClassifier, type LiveClassifier } from "../live/classifier.ts";
import { fetchRun, type RemoteRun } from "../live/remote_run.ts";
import { AudioRing } from "../live/ring.ts";
import { rmsDbfs } from "../live/gate.ts";
import type { RunListing } from "../run/record.ts";
import { CORPORA } from "../corpus/corpora.ts";

interface PlotlyApi {
  react(el: HTMLElement, data: unknown[], layout: unknown, config?: unknown): Promise<unknown>;
}
const Plotly = (globalThis as unknown as { Plotly?: PlotlyApi }).Plotly;

interface PageState {
  status: "loading" | "ready" | "error";
  error: string | null;
  runId: string | null;
  /** Networks the page averages (folds x ensemble members). */
  models: number;
  labels: string[];
  live: {
    on: boolean;
    sampleRateHz: number | null;
    updates: number;
    speech: boolean;
    state: string;
    levelDbfs: number | null;
    probs: number[] | null;
    top: string | null;
  };
  file: { name: string; probs: number[] | null; error: string | null } | null;
}

const state: PageState = {
  status: "loading",
  error: null,
  runId: null,
  models: 0,
  labels: [],
  live: {
    on: false,
    sampleRateHz: null,
    updates: 0,
    speech: false,
    state: "microphone off",
    levelDbfs: null,
    probs: null,
    top: null,
  },
  file: null,
};
(globalThis as unknown as { serState: PageState }).serState = state;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const COLORS = [
  "#7f7f7f",
  "#17becf",
  "#ffbf00",
  "#1f77b4",
  "#d62728",
  "#9467bd",
  "#2ca02c",
  "#ff7f0e",
];
const NO_SPEECH = "no speech";

let live: LiveConfig;
let run: RemoteRun | null = null;
let classifier: LiveClassifier | null = null;
const timeline: { t: number; label: string }[] = [];
const startedAt = performance.now();

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

function setState(el: HTMLElement, text: string, kind: "" | "quiet" | "error" = "") {
  el.textContent = text;
  el.className = `state ${kind}`.trim();
}

function barChart(el: HTMLElement, probs: ArrayLike<number> | null, title: string) {
  if (!Plotly) return;
  const labels = state.labels;
  const y = probs ? Array.from(probs) : labels.map(() => 0);
  Plotly.react(el, [{
    type: "bar",
    x: labels,
    y,
    marker: { color: labels.map((_, i) => COLORS[i % COLORS.length]) },
    text: y.map((v) => (v >= 0.05 ? pct(v) : "")),
    textposition: "outside",
    cliponaxis: false,
    hovertemplate: "%{x}: %{y:.3f}<extra></extra>",
  }], {
    title: { text: title, font: { size: 14 } },
    yaxis: { range: [0, 1.05], title: { text: "probability" } },
    margin: { t: 40, r: 10, b: 40, l: 50 },
  }, { displayModeBar: false, responsive: true });
}

function drawTimeline() {
  if (!Plotly) return;
  const now = (performance.now() - startedAt) / 1000;
  while (timeline.length && now - timeline[0].t > live.timelineS) timeline.shift();
  const cats = [NO_SPEECH, ...state.labels];
  Plotly.react($("timeline"), [{
    type: "scatter",
    mode: "markers",
    x: timeline.map((p) => p.t - now),
    y: timeline.map((p) => p.label),
    marker: {
      size: 10,
      color: timeline.map((p) =>
        p.label === NO_SPEECH ? "#cccccc" : COLORS[state.labels.indexOf(p.label) % COLORS.length]
      ),
    },
    hovertemplate: "%{x:.1f} s: %{y}<extra></extra>",
  }], {
    title: { text: "top emotion over time", font: { size: 14 } },
    xaxis: { range: [-live.timelineS, 0], title: { text: "seconds ago" } },
    yaxis: {
      type: "category",
      categoryorder: "array",
      categoryarray: cats,
      range: [-0.5, cats.length - 0.5],
    },
    margin: { t: 30, r: 10, b: 40, l: 80 },
  }, { displayModeBar: false, responsive: true });
}

function describeRun(r: RemoteRun): string {
  const acc = r.summary?.primary.accuracy;
  const folds = r.summary?.folds ?? [];
  const actors = new Set(r.folds.flatMap((f) => [...f.trainActors, ...f.testActors]));
  const accText = acc
    ? `Held-out accuracy ${pct(acc.mean)} ± ${
      (100 * acc.std).toFixed(1)
    } (${r.labels.length} classes, mean over ${folds.length} fold${
      folds.length === 1 ? "" : "s"
    }; macro-F1 ${r.summary!.primary.macroF1.mean.toFixed(3)})`
    : "No held-out accuracy recorded";
  const leak = r.summary?.leaky
    ? " WARNING: this run used the leaky protocol, so its accuracy is inflated."
    : "";
  const norm = r.config.eval.speakerNorm;
  const normText = normPolicy(norm).strict
    ? " Setting: strict. Nothing of your voice is known beforehand, as in the run's strict figure."
    : ` Setting: ${norm} speaker normalisation, as in the run's default figure: the page learns your voice's statistics as you speak (and from each file on its own), so its first seconds are less sure.`;
  return `Run ${r.runId}: ${r.config.model} model trained on ${
    corpusTitle(r.corpus.name)
  } (${r.corpus.clips} clips, ${actors.size} speakers). Protocol: ${r.protocolText}. ${accText}. The page averages the run's ${r.predictor.members.length} model${
    r.predictor.members.length === 1 ? "" : "s"
  } (${r.folds.length} fold${r.folds.length === 1 ? "" : "s"}${
    (r.config.train.ensemble ?? 1) > 1 ? ` x ${r.config.train.ensemble} ensemble members` : ""
  }).${normText}${leak}`;
}

/** The corpus a run trained on, as its registry names it (RAVDESS for runs that predate others). */
function corpusTitle(name = "ravdess"): string {
  return (CORPORA as Record<string, { title: string }>)[name]?.title ?? name;
}

async function loadRun(id: string) {
  state.status = "loading";
  $("model-info").textContent = `Loading run ${id}…`;
  try {
    const next = await fetchRun(`/runs/${encodeURIComponent(id)}`);
    run?.predictor.members.forEach((m) => m.model.dispose());
    run = next;
    classifier = createLiveClassifier(run.predictor, run.config, live);
    state.runId = run.runId;
    state.models = run.predictor.members.length;
    state.labels = run.labels;
    state.status = "ready";
    state.error = null;
    $("model-info").textContent = describeRun(run);
    ($("mic-button") as HTMLButtonElement).disabled = false;
    barChart($("live-chart"), null, "live: emotion probabilities");
    barChart($("file-chart"), null, "file: emotion probabilities");
    drawTimeline();
  } catch (err) {
    state.status = "error";
    state.error = (err as Error).message;
    setState($("model-info"), `Could not load run ${id}: ${state.error}`, "error");
  }
}

async function startMicrophone() {
  const button = $("mic-button") as HTMLButtonElement;
  button.disabled = true;
  try {
    // Raw samples: the browser's voice processing would change what the model hears.
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    const ctx = new AudioContext();
    await ctx.resume();
    const rate = ctx.sampleRate;
    const ring = new AudioRing(Math.ceil(live.windowS * rate));
    const source = ctx.createMediaStreamSource(stream);
    // ScriptProcessor rather than an AudioWorklet: no second module to serve, and 4096-sample
    // blocks (~85 ms) are fine-grained enough for a 0.5 s hop.
    const proc = ctx.createScriptProcessor(4096, 1, 1);
    const mute = ctx.createGain();
    mute.gain.value = 0;
    proc.onaudioprocess = (e) => {
      const block = e.inputBuffer.getChannelData(0);
      ring.push(block);
      const db = Math.max(-120, rmsDbfs(block));
      state.live.levelDbfs = db;
      $("level-bar").style.width = `${Math.max(0, Math.min(100, (db + 70) / 70 * 100))}%`;
      $("level-text").textContent = `${db.toFixed(0)} dBFS`;
    };
    source.connect(proc);
    proc.connect(mute);
    mute.connect(ctx.destination);
    state.live.on = true;
    state.live.sampleRateHz = rate;
    button.textContent = `microphone on (${rate} Hz)`;
    setState($("live-state"), "listening…", "quiet");
    const need = Math.round(live.windowS * rate);
    let busy = false;
    setInterval(() => {
      if (busy || !classifier) return;
      if (ring.length < need) {
        setState($("live-state"), `listening… (${(ring.length / rate).toFixed(1)} s)`, "quiet");
        return;
      }
      busy = true;
      try {
        const result = classifier.classifyWindow(ring.latest(need), rate);
        state.live.updates++;
        state.live.speech = result.activity.speech;
        const t = (performance.now() - startedAt) / 1000;
        if (!result.probs) {
          state.live.state = NO_SPEECH;
          state.live.probs = null;
          state.live.top = null;
          setState(
            $("live-state"),
            `${NO_SPEECH} (level ${result.activity.levelDbfs.toFixed(0)} dBFS, ${
              result.activity.voicedS.toFixed(2)
            } s voiced)`,
            "quiet",
          );
          barChart($("live-chart"), null, `live: ${NO_SPEECH}`);
          timeline.push({ t, label: NO_SPEECH });
        } else {
          const probs = Array.from(result.probs);
          const best = probs.indexOf(Math.max(...probs));
          state.live.state = "speech";
          state.live.probs = probs;
          state.live.top = state.labels[best];
          setState($("live-state"), `${state.labels[best]} ${pct(probs[best])}`);
          barChart($("live-chart"), probs, "live: emotion probabilities (last 2.5 s)");
          timeline.push({ t, label: state.labels[best] });
        }
        drawTimeline();
      } catch (err) {
        setState($("live-state"), `error: ${(err as Error).message}`, "error");
      } finally {
        busy = false;
      }
    }, live.hopS * 1000);
  } catch (err) {
    button.disabled = false;
    setState($("live-state"), `microphone unavailable: ${(err as Error).message}`, "error");
  }
}

async function classifyFile(file: File) {
  state.file = { name: file.name, probs: null, error: null };
  if (!classifier) return;
  setState($("file-state"), `classifying ${file.name}…`, "quiet");
  const player = $("file-player") as HTMLAudioElement;
  player.src = URL.createObjectURL(file);
  player.hidden = false;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const result = classifier.classifyFile(bytes, file.name);
    const a = result.analysis;
    const about = `${file.name} (${result.nativeSampleRateHz} Hz, ${result.nativeChannels} ch, ${
      a.durationS.toFixed(2)
    } s`;
    if (!result.probs) {
      state.file.probs = null;
      setState($("file-state"), `${about}): ${NO_SPEECH} (${a.why})`, "quiet");
      return;
    }
    const p = Array.from(result.probs);
    const best = p.indexOf(Math.max(...p));
    const windows = a.windows.filter((w) => w.speech).length;
    state.file.probs = p;
    setState(
      $("file-state"),
      `${about}, speech ${a.speechSpanS![0].toFixed(2)}-${
        a.speechSpanS![1].toFixed(2)
      } s, mean of ${windows} window${windows === 1 ? "" : "s"}): ${state.labels[best]} ${
        pct(p[best])
      }`,
    );
    barChart($("file-chart"), p, `${file.name}: emotion probabilities`);
  } catch (err) {
    state.file.error = (err as Error).message;
    setState($("file-state"), `${file.name}: ${state.file.error}`, "error");
  }
}

async function main() {
  live = await (await fetch("/api/live")).json();
  await useTrainingBackend(jsGemm);
  const { runs, default: chosen } = await (await fetch("/api/runs")).json() as {
    runs: RunListing[];
    default: string | null;
  };
  const picker = $("run-picker") as HTMLSelectElement;
  picker.innerHTML = "";
  for (const r of runs) {
    const option = document.createElement("option");
    option.value = r.id;
    const acc = r.accuracy === null ? "" : `, ${pct(r.accuracy)}`;
    option.textContent = `${r.id} (${r.model}, ${r.protocol}, norm ${r.speakerNorm}${acc})`;
    picker.appendChild(option);
  }
  if (!chosen) {
    state.status = "error";
    state.error = "no trained run with models under the results folder";
    setState(
      $("model-info"),
      "No trained run found: run `deno task reproduce` first, then reload this page.",
      "error",
    );
    return;
  }
  picker.value = chosen;
  picker.disabled = false;
  picker.onchange = () => loadRun(picker.value);
  $("mic-button").onclick = () => startMicrophone();
  const input = $("file-input") as HTMLInputElement;
  input.onchange = () => input.files?.[0] && classifyFile(input.files[0]);
  const zone = $("drop-zone");
  zone.ondragover = (e) => {
    e.preventDefault();
    zone.classList.add("over");
  };
  zone.ondragleave = () => zone.classList.remove("over");
  zone.ondrop = (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const file = e.dataTransfer?.files?.[0];
    if (file) classifyFile(file);
  };
  await loadRun(chosen);
}

main().catch((err) => {
  state.status = "error";
  state.error = (err as Error).message;
  setState($("model-info"), `error: ${state.error}`, "error");
});
