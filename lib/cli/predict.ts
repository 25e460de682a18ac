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
import {
  DEFAULT_CONFIG,
  type FlagSpec,
  parseArgs,
  type RunConfig,
  strictTwin,
} from "../config/config.ts";
import { createFeatureExtractor, type FeatureExtractor } from "../features/extract.ts";
import { chooseGemm } from "../model/blas_ffi.ts";
import { useTrainingBackend } from "../model/backend.ts";
import type { Predictor } from "../model/predictor.ts";
import type { Scaler } from "../normalise/scaler.ts";
import { findRun, loadPredictor, resolveRun } from "../run/store.ts";
import { fromRoot, runCli, withUserPaths } from "./common.ts";
import { openFileSource } from "../audio/read_file.ts";
import { collectSamples, openAudioStream } from "../audio/stream.ts";
import { analyseRecording, type RecordingAnalysis, scoreRecording } from "../live/timeline.ts";
import {
  timelineCsv,
  timelineHtml,
  timelineJson,
  type TimelineSummary,
} from "../live/timeline_files.ts";
import { RunningStats } from "../normalise/speaker.ts";
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

interface Model {
  predictor: Predictor;
  config: RunConfig;
  extractor: FeatureExtractor;
  dir: string;
}

/** How one file's voice is normalised, in words, and with what. */
interface VoiceUse {
  text: string;
  model: Model;
  speaker?: Scaler;
}

if (import.meta.main) {
  await runCli(async () => {
    const parsed = parseArgs(Deno.args, DEFAULT_CONFIG, PREDICT_FLAGS);
    const cli = withUserPaths(parsed.config, Deno.args);
    const { positional, flags } = parsed;
    const json = flags.json === true;
    const wantTimeline = flags.timeline === true;
    const sameSpeaker = flags.sameSpeaker === true;
    if (!positional.length) throw new Error(USAGE);
    const resultsDir = fromRoot(cli.resultsDir);
    const runDir = await resolveRun(resultsDir, (flags.run as string | undefined) ?? "");
    const { gemm } = chooseGemm(cli.train.gemm, 1);
    await useTrainingBackend(gemm);
    const load = async (dir: string): Promise<Model> => {
      const { predictor, config } = await loadPredictor(dir);
      const extractor = createFeatureExtractor(
        config.features,
        config.audio.sampleRateHz,
        config.audio.durationS,
      );
      return { predictor, config, extractor, dir };
    };
    const main = await load(runDir);
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
    const settings = {
      windowS: config.audio.durationS,
      hopS: live.fileHopS,
      gate: { gateDbfs: live.gateDbfs, minVoicedS: live.minVoicedS },
    };
    const errors: { file: string; error: string }[] = [];
    const analyses: {
      file: string;
      a: RecordingAnalysis;
      nativeRateHz: number;
      channels: number;
    }[] = [];
    for (const file of positional) {
      const path = userPath(file);
      try {
        const src = openFileSource(path);
        try {
          const stream = openAudioStream(
            src,
            file,
            config.audio.sampleRateHz,
            config.audio.resampler,
          );
          const store = collectSamples(stream);
          if (store.length === 0) throw new Error(`${file}: no samples (an empty WAV)`);
          analyses.push({
            file,
            a: analyseRecording(store, file, main.extractor, predictor, settings),
            nativeRateHz: stream.layout.sampleRateHz,
            channels: stream.layout.channels,
          });
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

    // Whose statistics normalise each file: none (strict runs), each file's own, all files
    // pooled (--sameSpeaker), or, for a file too short to give any, the run's strict twin.
    const norm = config.eval.speakerNorm;
    const policy = normPolicy(norm);
    const strict = policy.strict;
    let twin: Model | null | undefined;
    const strictTwinModel = async () => {
      if (twin === undefined) {
        const dir = await findRun(resultsDir, strictTwin(config));
        twin = dir ? await load(dir) : null;
      }
      return twin;
    };
    const speaking = analyses.filter((x) => x.a.windows.some((w) => w.speech));
    let pooled: Scaler | undefined;
    if (!strict && sameSpeaker && speaking.length) {
      const all = new RunningStats(predictor.rowShape[predictor.rowShape.length - 1]);
      for (const { a } of speaking) all.merge(a.voice);
      pooled = all.scaler();
    }
    const pooledS = speaking.reduce((s, x) => s + x.a.speechS, 0);
    const voiceFor = async (a: RecordingAnalysis): Promise<VoiceUse> => {
      if (strict) {
        const own = policy.ownClip;
        return {
          text: `strict setting (nothing of the voice known beforehand${own ? `; ${own}` : ""})`,
          model: main,
        };
      }
      if (pooled) {
        return {
          text:
            `${norm} normalisation with the statistics of all ${speaking.length} file(s) given, pooled as one voice (--sameSpeaker; ${
              pooledS.toFixed(0)
            } s of speech)`,
          model: main,
          speaker: pooled,
        };
      }
      if (a.speechS >= live.ownVoiceMinS) {
        return {
          text: `${norm} normalisation with this file's own statistics (${
            a.speechS.toFixed(0)
          } s of speech)`,
          model: main,
          speaker: a.voice.scaler(),
        };
      }
      const twinModel = await strictTwinModel();
      const short = `${
        a.speechS.toFixed(1)
      } s of speech, under live.ownVoiceMinS=${live.ownVoiceMinS} s`;
      if (twinModel) {
        return {
          text: `the run's strict twin ${twinModel.dir} (${short} to give this voice's statistics)`,
          model: twinModel,
        };
      }
      return {
        text:
          `${norm} normalisation with this file's own statistics, a rough estimate (${short}, and no strict twin of the run in ${resultsDir}: \`deno task reproduce\` trains it)`,
        model: main,
        speaker: a.voice.scaler(),
      };
    };

    const w = Math.max(8, ...predictor.labels.map((l) => l.length)) + 1;
    const outDir = wantTimeline
      ? ((flags.out as string | undefined)
        ? userPath(flags.out as string)
        : join(resultsDir, "timelines"))
      : "";
    const results: unknown[] = [];
    for (const { file, a, nativeRateHz, channels } of analyses) {
      const head = `${file} (${nativeRateHz} Hz, ${channels} ch, ${a.durationS.toFixed(2)} s)`;
      if (!a.windows.some((x) => x.speech)) {
        say(`\n${head}: no speech (${a.why})`);
        results.push({
          file,
          speech: false,
          why: a.why,
          durationS: a.durationS,
          predicted: null,
          probabilities: null,
        });
        continue;
      }
      const voice = await voiceFor(a);
      const labels = voice.model.predictor.labels;
      const mean = scoreRecording(
        a,
        voice.model.predictor,
        voice.model.extractor,
        voice.speaker,
        voice.model === main,
      )!;
      const best = mean.indexOf(Math.max(...mean));
      const speechWindows = a.windows.filter((x) => x.speech).length;
      const span = a.speechSpanS!;
      say(
        `\n${head}: ${labels[best]} ${(100 * mean[best]).toFixed(1)} %\n  speech ${
          span[0].toFixed(2)
        }-${span[1].toFixed(2)} s, mean of ${speechWindows} window${
          speechWindows === 1 ? "" : "s"
        } of ${settings.windowS} s${
          a.store.length < a.window ? " (padded, as training pads short clips)" : ""
        }\n  voice: ${voice.text}`,
      );
      const order = [...mean.keys()].sort((x, y) => mean[y] - mean[x]);
      for (const c of order) {
        say(
          `  ${labels[c].padEnd(w)}${(100 * mean[c]).toFixed(1).padStart(5)} %  ${
            "#".repeat(Math.round(mean[c] * 40))
          }`,
        );
      }
      const summary: TimelineSummary = {
        file,
        run: runDir,
        labels,
        durationS: a.durationS,
        speechSpanS: a.speechSpanS,
        voice: voice.text,
        mean,
        windows: a.windows,
      };
      let written: string[] = [];
      if (wantTimeline) {
        printTimeline(say, summary);
        written = await writeTimeline(outDir, summary);
        say(`  timeline written: ${written.join(", ")}`);
      }
      results.push({
        file,
        speech: true,
        durationS: a.durationS,
        speechSpanS: a.speechSpanS,
        windows: speechWindows,
        voice: voice.text,
        predicted: labels[best],
        probabilities: Object.fromEntries(labels.map((l, c) => [l, mean[c]])),
        ...(wantTimeline
          ? { timeline: (timelineJson(summary) as { windows: unknown[] }).windows, written }
          : {}),
      });
    }
    if (json) {
      const order = (f: string) => positional.indexOf(f);
      (results as { file: string }[]).sort((x, y) => order(x.file) - order(y.file));
      const setting = strict ? "strict" : norm;
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
