/**
 * One recording classified with a trained run, as `deno task predict`, the live page's HTTP API
 * and the page itself answer it: streamed, its speech found and windowed (`timeline.ts`), the
 * voice statistics chosen (the file's own, several files pooled, none for a strict run, or the
 * run's strict twin for a file too short to give any), scored, and put into the answer
 * `predict --json` prints. Pure: the run's models and any strict twin are handed in.
 */
import type { LiveConfig, RunConfig } from "../config/config.ts";
import type { RunModel } from "../run/predictor.ts";
import {
  linearLeftOut,
  MIN_BATCH_NORM_VOICE_WINDOWS,
  MIN_LINEAR_VOICE_WINDOWS,
  type Voice,
} from "../model/predictor.ts";
import { normPolicy } from "../normalise/policy.ts";

export type { RunModel };
import type { ByteSource } from "../audio/wav.ts";
import { collectSamples, openAudioStream } from "../audio/stream.ts";
import {
  analyseRecording,
  type RecordingAnalysis,
  scoreRecording,
  type TimelineSettings,
} from "./timeline.ts";
import { timelineJson, type TimelineSummary } from "./timeline_files.ts";

/** Windows of the run's clip length, `live.fileHopS` apart, heard by the speech detector. */
export function timelineSettings(config: RunConfig, live: LiveConfig): TimelineSettings {
  return {
    windowS: config.audio.durationS,
    hopS: live.fileHopS,
    gate: { gateDbfs: live.gateDbfs, minVoicedS: live.minVoicedS },
  };
}

export interface AnalysedRecording {
  file: string;
  analysis: RecordingAnalysis;
  nativeRateHz: number;
  channels: number;
}

/** A recording's bytes (a file read by position, or memory) streamed and analysed. */
export function analyseSource(
  src: ByteSource,
  file: string,
  main: RunModel,
  live: LiveConfig,
): AnalysedRecording {
  const audio = main.config.audio;
  const stream = openAudioStream(src, file, audio.sampleRateHz, audio.resampler);
  const store = collectSamples(stream);
  if (store.length === 0) throw new Error(`${file}: no samples (an empty WAV)`);
  return {
    file,
    analysis: analyseRecording(
      store,
      file,
      main.extractor,
      main.predictor,
      timelineSettings(main.config, live),
    ),
    nativeRateHz: stream.layout.sampleRateHz,
    channels: stream.layout.channels,
  };
}

/** How one file's voice is normalised, in words, and with what. */
export interface VoiceUse {
  text: string;
  model: RunModel;
  speaker?: Voice;
}

export interface VoiceChoice {
  main: RunModel;
  live: LiveConfig;
  /** `--sameSpeaker`: the statistics of every file given, pooled. */
  pooled?: { scaler: Voice; files: number; speechS: number };
  /** The run's strict twin, looked up when first needed; null where there is none. */
  twin: () => Promise<RunModel | null>;
  /** Where a missing twin was looked for, for the message. */
  twinWhere: string;
}

/** The clause saying a voice is too thin for the run's linear member ("" where it is not). */
function linearNote(model: RunModel, speaker: Voice): string {
  const linear = linearLeftOut(model.predictor, speaker)
    ? `; linear member left out: its voice statistics need ${MIN_LINEAR_VOICE_WINDOWS} windows, ${speaker.functionalWindows} given`
    : "";
  if (!model.predictor.voiceBatchNorm) return linear;
  const norms = speaker.batchNorm
    ? `; batch norm${
      speaker.batchNorm.members.some((m) => m.embedding) ? " and pooled embeddings" : ""
    } with this voice's statistics (${speaker.batchNorm.windows} windows)`
    : `; batch norm with the training statistics (this voice's need ${MIN_BATCH_NORM_VOICE_WINDOWS} windows)`;
  return linear + norms;
}

/** Whose statistics normalise this recording, and the sentence that says so. */
export async function chooseVoice(a: RecordingAnalysis, c: VoiceChoice): Promise<VoiceUse> {
  const norm = c.main.config.eval.speakerNorm;
  const policy = normPolicy(norm);
  if (policy.strict) {
    const own = policy.ownClip;
    return {
      text: `strict setting (nothing of the voice known beforehand${own ? `; ${own}` : ""})`,
      model: c.main,
    };
  }
  if (c.pooled) {
    return {
      text: `${norm} normalisation with the statistics of all ${c.pooled.files} file(s) given, ` +
        `pooled as one voice (--sameSpeaker; ${c.pooled.speechS.toFixed(0)} s of speech)` +
        linearNote(c.main, c.pooled.scaler),
      model: c.main,
      speaker: c.pooled.scaler,
    };
  }
  if (a.speechS >= c.live.ownVoiceMinS) {
    const speaker = a.voice.scaler({ batchNorm: true });
    return {
      text: `${norm} normalisation with this file's own statistics (${
        a.speechS.toFixed(0)
      } s of speech)${linearNote(c.main, speaker)}`,
      model: c.main,
      speaker,
    };
  }
  const twin = await c.twin();
  const short = `${
    a.speechS.toFixed(1)
  } s of speech, under live.ownVoiceMinS=${c.live.ownVoiceMinS} s`;
  if (twin) {
    return {
      text: `the run's strict twin ${twin.dir} (${short} to give this voice's statistics)`,
      model: twin,
    };
  }
  const speaker = a.voice.scaler({ batchNorm: true });
  return {
    text: `${norm} normalisation with this file's own statistics, a rough estimate (${short}, ` +
      `and no strict twin of the run in ${c.twinWhere}: \`deno task reproduce\` trains it)` +
      linearNote(c.main, speaker),
    model: c.main,
    speaker,
  };
}

/** One file's answer as `predict --json` gives it, and what a timeline is drawn from. */
export interface RecordingAnswer {
  json: Record<string, unknown>;
  /** Null when the detector heard no speech. */
  summary: TimelineSummary | null;
}

/** Scores a recording with the chosen voice (or says it holds no speech) and shapes the answer. */
export function answerRecording(
  r: AnalysedRecording,
  voice: VoiceUse | null,
  runDir: string,
  withTimeline: boolean,
): RecordingAnswer {
  const a = r.analysis;
  if (!voice || !a.windows.some((w) => w.speech)) {
    return {
      json: {
        file: r.file,
        speech: false,
        why: a.why,
        durationS: a.durationS,
        predicted: null,
        probabilities: null,
      },
      summary: null,
    };
  }
  const labels = voice.model.predictor.labels;
  const mean = scoreRecording(
    a,
    voice.model.predictor,
    voice.model.extractor,
    voice.speaker,
    voice.model.dir === runDir,
    voice.model.variants,
  )!;
  const best = mean.indexOf(Math.max(...mean));
  const summary: TimelineSummary = {
    file: r.file,
    run: runDir,
    labels,
    durationS: a.durationS,
    speechSpanS: a.speechSpanS,
    voice: voice.text,
    mean,
    windows: a.windows,
  };
  return {
    json: {
      file: r.file,
      speech: true,
      durationS: a.durationS,
      speechSpanS: a.speechSpanS,
      windows: a.windows.filter((w) => w.speech).length,
      voice: voice.text,
      predicted: labels[best],
      probabilities: Object.fromEntries(labels.map((l, c) => [l, mean[c]])),
      ...(withTimeline
        ? { timeline: (timelineJson(summary) as { windows: unknown[] }).windows }
        : {}),
    },
    summary,
  };
}
