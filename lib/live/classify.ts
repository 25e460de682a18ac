/**
 * One call from a WAV file's bytes to its emotions with a trained run: what `deno task predict`
 * does for one file, for code that imports the package. Pure (no Deno APIs).
 */
import { bytesSource } from "../audio/wav.ts";
import type { ByteSource } from "../audio/wav.ts";
import { DEFAULT_CONFIG, type LiveConfig } from "../config/config.ts";
import type { RunModel } from "../run/predictor.ts";
import { analyseSource, answerRecording, chooseVoice } from "./recording.ts";

/**
 * A trained run, loaded and ready to classify (from `@ser/deno/fs`'s `loadRun`, or the live
 * page's loader): its folder and the emotions it tells apart. The models inside are not part of
 * the public API.
 */
export interface TrainedRun {
  /** The run folder it was loaded from. */
  readonly dir: string;
  /** The emotions, in the order of the model's outputs. */
  readonly labels: readonly string[];
}

/** @internal a run model seen through the public face. */
export function asTrainedRun(model: RunModel): TrainedRun {
  return Object.assign(Object.create(null), {
    dir: model.dir,
    labels: model.predictor.labels,
    model,
  });
}

function modelOf(run: TrainedRun): RunModel {
  const model = (run as unknown as { model?: RunModel }).model;
  if (!model) throw new Error("classify: not a run loaded by loadRun");
  return model;
}

/** Settings of `classify`; every field has a default. */
export interface ClassifyOptions {
  /** Names the recording in errors and in the answer (default `clip.wav`). */
  name?: string;
  /** dB re full scale a voiced frame must exceed (default -70). */
  gateDbfs?: number;
  /** Voiced seconds a window needs to be speech (default 0.2). */
  minVoicedS?: number;
  /** Seconds between the windows scored (default 1.25). */
  hopS?: number;
  /** Seconds of speech a recording needs to give its own voice statistics (default 20). */
  ownVoiceMinS?: number;
  /** Include every window's probabilities (default false). */
  timeline?: boolean;
  /**
   * The run's strict twin, used for a recording too short to give its own voice statistics
   * to a run that normalises per speaker (default: none; the recording's own statistics).
   */
  strictTwin?: TrainedRun | null;
}

/** What `classify` answers: `deno task predict --json`'s entry for one file. */
export interface Classification {
  /** Whether the speech detector heard speech; false: no emotion is given. */
  speech: boolean;
  /** The most probable emotion, or null without speech. */
  predicted: string | null;
  /** Each emotion's probability (the mean over the speech windows), or null without speech. */
  probabilities: Record<string, number> | null;
  /** Seconds of audio in the file. */
  durationS: number;
  /** The rest of the answer: speech span, windows, the voice setting used, a timeline. */
  [field: string]: unknown;
}

/** Classifies one WAV file's bytes with `run` (speech trimmed, every window scored, the mean). */
export function classify(
  bytes: Uint8Array,
  run: TrainedRun,
  options: ClassifyOptions = {},
): Promise<Classification> {
  return classifySource(bytesSource(bytes), run, options);
}

/** `classify` on a file read by position (`openFileSource`): a long file is never read whole. */
export async function classifySource(
  src: ByteSource,
  trained: TrainedRun,
  options: ClassifyOptions = {},
): Promise<Classification> {
  const run = modelOf(trained);
  const name = options.name ?? "clip.wav";
  const d = DEFAULT_CONFIG.live;
  const live: LiveConfig = {
    ...d,
    gateDbfs: options.gateDbfs ?? d.gateDbfs,
    minVoicedS: options.minVoicedS ?? d.minVoicedS,
    fileHopS: options.hopS ?? d.fileHopS,
    ownVoiceMinS: options.ownVoiceMinS ?? d.ownVoiceMinS,
  };
  const analysed = analyseSource(src, name, run, live);
  const a = analysed.analysis;
  const voice = a.windows.some((w) => w.speech)
    ? await chooseVoice(a, {
      main: run,
      live,
      twin: () => Promise.resolve(options.strictTwin ? modelOf(options.strictTwin) : null),
      twinWhere: "the options (strictTwin)",
    })
    : null;
  return answerRecording(analysed, voice, run.dir, options.timeline ?? false)
    .json as unknown as Classification;
}
