/**
 * The live page's classifier: the same featurizer, scaler and models as `deno task predict`,
 * fed either a file's bytes or the newest seconds of a microphone at the device's own rate.
 * Pure (no Deno APIs, no DOM): it runs in the browser bundle and in Deno tests alike.
 */
import type { LiveConfig, RunConfig } from "../config/config.ts";
import { normPolicy } from "../normalise/policy.ts";
import { resample } from "../audio/resample.ts";
import { testTimeVariants } from "../augment/recipe.ts";
import { createClipFeaturizer } from "../features/clip.ts";
import {
  inputOf,
  MIN_BATCH_NORM_VOICE_WINDOWS,
  predictMean,
  type Predictor,
  type Voice,
  VoiceStatistics,
} from "../model/predictor.ts";
import { bytesSource } from "../audio/wav.ts";
import { type RecordingAnalysis, scoreRecording } from "./timeline.ts";
import { analyseSource } from "./recording.ts";
import { type Activity, speechActivity } from "./gate.ts";

export interface FileResult {
  /** Where the speech is, its windows (each with its probabilities) and the voice heard. */
  analysis: RecordingAnalysis;
  nativeSampleRateHz: number;
  nativeChannels: number;
  /** Mean over the speech windows; null when the detector heard no speech. */
  probs: Float32Array | null;
}

export interface WindowResult {
  activity: Activity;
  /** Null when the gate heard no speech. */
  probs: Float32Array | null;
}

export interface LiveClassifier {
  labels: string[];
  /**
   * A WAV file's probabilities, as `deno task predict` gives them for that one file when it has
   * no strict twin at hand: speech trimmed, every window scored, the file's own voice statistics.
   */
  classifyFile(bytes: Uint8Array, name: string): FileResult;
  /**
   * The newest `live.windowS` seconds of a stream at `sampleRateHz`: gated, resampled to the
   * model's rate with the training resampler, featurized and classified.
   */
  classifyWindow(samples: Float32Array, sampleRateHz: number): WindowResult;
  /** Forget the voice statistics gathered so far (a new speaker). */
  resetVoice(): void;
}

export function createLiveClassifier(
  predictor: Predictor,
  run: RunConfig,
  live: LiveConfig,
): LiveClassifier {
  const featurizer = createClipFeaturizer(run.audio, run.features);
  const variants = testTimeVariants(
    run.eval.tta,
    run.audio.sampleRateHz,
    run.augment,
    run.seed,
  );
  const normalise = !normPolicy(run.eval.speakerNorm).strict;
  const dim = predictor.rowShape[predictor.rowShape.length - 1];
  let voice = new VoiceStatistics(predictor);
  let norms: Voice["batchNorm"];
  // Frames a hop adds to the window: only these join the voice's running statistics, so each
  // stretch of speech counts once however many windows it passes through.
  const newFrames = Math.max(
    1,
    Math.round((live.hopS * run.audio.sampleRateHz) / run.features.hopLength),
  );
  return {
    labels: predictor.labels,
    classifyFile(bytes, name) {
      // predict's own path for one file: streamed, speech found, windows scored.
      const model = { predictor, config: run, extractor: featurizer.extractor, dir: "", variants };
      const r = analyseSource(bytesSource(bytes), name, model, live);
      const analysis = r.analysis;
      const speaking = analysis.windows.some((w) => w.speech);
      const speaker = normalise && speaking
        ? analysis.voice.scaler({ batchNorm: true })
        : undefined;
      return {
        analysis,
        nativeSampleRateHz: r.nativeRateHz,
        nativeChannels: r.channels,
        probs: speaking
          ? scoreRecording(analysis, predictor, featurizer.extractor, speaker, true, variants)
          : null,
      };
    },
    classifyWindow(samples, sampleRateHz) {
      const activity = speechActivity(samples, sampleRateHz, live);
      if (!activity.speech) return { activity, probs: null };
      const y = resample(samples, sampleRateHz, run.audio.sampleRateHz, run.audio.resampler);
      const features = featurizer.extractor.extract(y);
      let speaker: Voice | undefined;
      if (normalise) {
        const input = inputOf(features, predictor.input);
        voice.add(input, dim === 1 ? undefined : newFrames);
        speaker = voice.scaler();
        // The networks' batch-norm statistics of this voice are measured again each time the
        // windows heard double (8, 16, 32, ...): a pass through every network, not each window.
        const heard = voice.windows;
        if (
          predictor.voiceBatchNorm &&
          heard >= 2 * (norms?.windows ?? MIN_BATCH_NORM_VOICE_WINDOWS / 2)
        ) {
          norms = voice.scaler({ batchNorm: true }).batchNorm ?? norms;
        }
        if (norms) speaker = { ...speaker, batchNorm: norms };
      }
      const inputs = [features, ...variants(y).map((v) => featurizer.extractor.extract(v))]
        .map((f) => inputOf(f, predictor.input));
      return { activity, probs: predictMean(predictor, inputs, speaker) };
    },
    resetVoice() {
      voice = new VoiceStatistics(predictor);
      norms = undefined;
    },
  };
}
