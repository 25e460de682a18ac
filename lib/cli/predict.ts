/**
 * `deno task predict clip.wav [more.wav ...] [--run=<run id or folder>] [--json] [--timeline]
 * [--out=DIR] [--sameSpeaker]`: emotion probabilities for your own recordings from a trained
 * run (the newest by default). Any length, rate or channel count: each file is streamed (decoded
 * and resampled in blocks, so a two-hour file costs its samples at 16 bits), the speech detector
 * trims the silence around the speech, and every window of the speech is scored; the answer is
 * their mean, and `--timeline` prints and writes the emotion over time (CSV, JSON and an HTML
 * chart). Each file is its own voice unless `--sameSpeaker` says they are one.
 */
import { basename, extname, join } from "node:path";
import { DEFAULT_CONFIG, type FlagSpec, parseArgs, strictTwin } from "../config/config.ts";
import { chooseGemm } from "../model/blas_ffi.ts";
import { useTrainingBackend } from "../model/backend.ts";
import { findRun, loadRunModel, resolveRun } from "../run/store.ts";
import { fromRoot, runCli, withUserPaths } from "./common.ts";
import { openFileSource } from "../audio/read_file.ts";
import {
  type AnalysedRecording,
  analyseSource,
  answerRecording,
  chooseVoice,
  type RunModel,
  type VoiceChoice,
} from "../live/recording.ts";
import {
  timelineCsv,
  timelineHtml,
  timelineJson,
  type TimelineSummary,
} from "../live/timeline_files.ts";
import { VoiceStatistics } from "../model/predictor.ts";
import { normPolicy } from "../normalise/policy.ts";
import { userPath } from "../util/project.ts";
import { writeFileAtomic, writeJsonAtomic } from "../cache/files.ts";
import { copyPlotly, PLOTLY_FILE } from "../plots/plotly_fs.ts";

export const PREDICT_FLAGS = {
  run: { kind: "string" },
  json: { kind: "boolean" },
  timeline: { kind: "boolean" },
  out: { kind: "string" },
  sameSpeaker: { kind: "boolean" },
} satisfies Record<string, FlagSpec>;

const USAGE =
  "usage: deno task predict clip.wav [more.wav ...] [--run=<run id or folder>] [--json] " +
  "[--timeline] [--out=DIR] [--sameSpeaker]";

if (import.meta.main) {
  await runCli(async () => {
    const parsed = parseArgs(Deno.args, DEFAULT_CONFIG, PREDICT_FLAGS);
    const cli = withUserPaths(parsed.config, Deno.args);
    const { positional, flags } = parsed;
    const json = flags.json === true;
    const wantTimeline = flags.timeline === true;
    if (!positional.length) throw new Error(USAGE);
    const resultsDir = fromRoot(cli.resultsDir);
    const runDir = await resolveRun(resultsDir, (flags.run as string | undefined) ?? "");
    const { gemm } = chooseGemm(cli.train.gemm, 1);
    await useTrainingBackend(gemm);
    const main = await loadRunModel(runDir);
    const { predictor, config } = main;
    const say = (text: string) => json || console.log(text);
    const n = predictor.members.length;
    const k = config.train.ensemble;
    const how = k > 1 ? ` (${n / k} folds x ${k} ensemble members)` : "";
    say(
      `run ${runDir} (${config.model} model, ${n} model${n > 1 ? "s" : ""}${how}${
        n > 1 ? " averaged" : ""
      }, ${config.eval.protocol} protocol)`,
    );
    const live = cli.live;
    const errors: { file: string; error: string }[] = [];
    const analysed: AnalysedRecording[] = [];
    for (const file of positional) {
      try {
        const src = openFileSource(userPath(file));
        try {
          analysed.push(analyseSource(src, file, main, live));
        } finally {
          src.close();
        }
      } catch (err) {
        const message = (err as Error).message;
        const named = message.includes(file) ? message : `${file}: ${message}`;
        errors.push({ file, error: named });
        say(`\n${file}\n  error: ${named}`);
      }
    }
    // Each file is its own voice unless --sameSpeaker pools them; a strict run needs none.
    const speaking = analysed.filter((r) => r.analysis.windows.some((w) => w.speech));
    let pooled: VoiceChoice["pooled"];
    if (
      flags.sameSpeaker === true && speaking.length && !normPolicy(config.eval.speakerNorm).strict
    ) {
      const all = new VoiceStatistics(predictor);
      for (const r of speaking) all.merge(r.analysis.voice);
      pooled = {
        scaler: all.scaler({ batchNorm: true }),
        files: speaking.length,
        speechS: speaking.reduce((s, r) => s + r.analysis.speechS, 0),
      };
    }
    let twin: Promise<RunModel | null> | undefined;
    const choice: VoiceChoice = {
      main,
      live,
      pooled,
      twin: () =>
        twin ??= findRun(resultsDir, strictTwin(config)).then((dir) =>
          dir ? loadRunModel(dir) : null
        ),
      twinWhere: resultsDir,
    };
    const w = Math.max(8, ...predictor.labels.map((l) => l.length)) + 1;
    const outDir = wantTimeline
      ? ((flags.out as string | undefined)
        ? userPath(flags.out as string)
        : join(resultsDir, "timelines"))
      : "";
    const results: Record<string, unknown>[] = [];
    for (const r of analysed) {
      const a = r.analysis;
      const head = `${r.file} (${r.nativeRateHz} Hz, ${r.channels} ch, ${
        a.durationS.toFixed(2)
      } s)`;
      const speech = a.windows.some((x) => x.speech);
      const voice = speech ? await chooseVoice(a, choice) : null;
      const { json: answer, summary } = answerRecording(r, voice, runDir, wantTimeline);
      if (!summary) {
        say(`\n${head}: no speech (${a.why})`);
        results.push(answer);
        continue;
      }
      const mean = summary.mean!;
      const labels = summary.labels;
      const best = mean.indexOf(Math.max(...mean));
      const span = a.speechSpanS!;
      say(
        `\n${head}: ${labels[best]} ${(100 * mean[best]).toFixed(1)} %\n  speech ${
          span[0].toFixed(2)
        }-${span[1].toFixed(2)} s, mean of ${answer.windows} window${
          answer.windows === 1 ? "" : "s"
        } of ${config.audio.durationS} s${
          a.store.length < a.window ? " (padded, as training pads short clips)" : ""
        }\n  voice: ${summary.voice}`,
      );
      const order = [...mean.keys()].sort((x, y) => mean[y] - mean[x]);
      for (const c of order) {
        say(
          `  ${labels[c].padEnd(w)}${(100 * mean[c]).toFixed(1).padStart(5)} %  ${
            "#".repeat(Math.round(mean[c] * 40))
          }`,
        );
      }
      if (wantTimeline) {
        printTimeline(say, summary);
        const written = await writeTimeline(outDir, summary);
        say(`  timeline written: ${written.join(", ")}`);
        answer.written = written;
      }
      results.push(answer);
    }
    if (json) {
      const order = (f: unknown) => positional.indexOf(f as string);
      results.sort((x, y) => order(x.file) - order(y.file));
      const policy = normPolicy(config.eval.speakerNorm);
      const setting = policy.strict ? "strict" : policy.name;
      console.log(
        JSON.stringify({ run: runDir, setting, labels: predictor.labels, results, errors }),
      );
    }
    if (errors.length) {
      throw new Error(`${errors.length} of ${positional.length} file(s) could not be classified`);
    }
  });
}

/** Each window (or, past 40 windows, each minute) on one line: time, top emotion, probability. */
function printTimeline(say: (t: string) => void, s: TimelineSummary): void {
  const top = (p: Float32Array) => {
    const k = p.indexOf(Math.max(...p));
    return `${s.labels[k]} ${(100 * p[k]).toFixed(0)} %`;
  };
  const clock = (t: number) =>
    `${Math.floor(t / 60).toString().padStart(2, "0")}:${(t % 60).toFixed(1).padStart(4, "0")}`;
  say("  timeline:");
  if (s.windows.length <= 40) {
    for (const w of s.windows) {
      say(
        `    ${clock(w.startS)}-${clock(w.endS)}  ${
          w.probs ? top(w.probs) : `no speech (${w.why})`
        }`,
      );
    }
    return;
  }
  const minutes = Math.ceil(s.durationS / 60);
  for (let m = 0; m < minutes; m++) {
    const inMinute = s.windows.filter((w) => w.startS >= 60 * m && w.startS < 60 * (m + 1));
    const scored = inMinute.filter((w) => w.probs);
    if (!inMinute.length) continue;
    if (!scored.length) {
      say(`    ${clock(60 * m)}  no speech`);
      continue;
    }
    const mean = new Float32Array(s.labels.length);
    for (const w of scored) {
      for (let c = 0; c < mean.length; c++) mean[c] += w.probs![c] / scored.length;
    }
    say(`    ${clock(60 * m)}  ${top(mean)} (mean of ${scored.length} windows)`);
  }
}

/** `<stem>.timeline.csv/.json/.html` in `dir`, with plotly.js beside them (copied once). */
async function writeTimeline(dir: string, s: TimelineSummary): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const stem = basename(s.file, extname(s.file));
  const paths = ["csv", "json", "html"].map((ext) => join(dir, `${stem}.timeline.${ext}`));
  await writeFileAtomic(paths[0], timelineCsv(s));
  await writeJsonAtomic(paths[1], timelineJson(s));
  await writeFileAtomic(paths[2], timelineHtml(s, PLOTLY_FILE));
  try {
    await Deno.stat(join(dir, PLOTLY_FILE));
  } catch {
    const copied = await copyPlotly(dir);
    if (!copied.ok) console.error(`warning: the timeline page will show no chart: ${copied.why}`);
  }
  return paths;
}
