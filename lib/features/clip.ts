/**
 * From a file's bytes to the features we cache: decode, crop, resample, extract.
 * Pure: no Deno APIs, so the same code featurizes in workers, in `predict` and in a browser.
 */
import type { AudioConfig, FeatureConfig } from "../config/config.ts";
import { loadAudio, windowStarts } from "../audio/load.ts";
import type { ByteSource } from "../audio/wav.ts";
import { type ClipFeatures, createFeatureExtractor, type FeatureExtractor } from "./extract.ts";

export interface ClipFeaturizer {
  audio: AudioConfig;
  extractor: FeatureExtractor;
  /**
   * Features of a clip's bytes (or a file read by position: only the window is read when the
   * whole clip is not needed); `source` names the file in errors.
   */
  featurize(bytes: Uint8Array | ByteSource, source: string): FeaturizedClip;
}

export interface FeaturizedClip extends ClipFeatures {
  /**
   * Features of the clip's later windows when `audio.windowHopS` > 0 and it is longer than one
   * (the fields above are the first window's); empty otherwise.
   */
  windows: ClipFeatures[];
  /** The audio read: the first window, or with `windowHopS` all of it after trim and offset. */
  samples: Float32Array;
  nativeSampleRateHz: number;
  nativeChannels: number;
  nativeDurationS: number;
}

export function createClipFeaturizer(audio: AudioConfig, features: FeatureConfig): ClipFeaturizer {
  const extractor = createFeatureExtractor(features, audio.sampleRateHz, audio.durationS);
  return {
    audio,
    extractor,
    featurize(bytes, source) {
      const multi = audio.windowHopS > 0;
      const clip = loadAudio(bytes, multi ? { ...audio, durationS: null } : audio, source);
      if (clip.samples.length === 0) {
        throw new Error(
          `${source}: no audio after the ${audio.offsetS} s offset (file is ${
            clip.nativeDurationS.toFixed(2)
          } s long)`,
        );
      }
      const rate = audio.sampleRateHz;
      const window = Math.round(audio.durationS * rate);
      const starts = multi
        ? windowStarts(clip.samples.length, window, Math.round(audio.windowHopS * rate))
        : [0];
      const [first, ...later] = starts.map((at, w) =>
        assertFiniteFeatures(
          extractor.extract(clip.samples.subarray(at, at + window)),
          w === 0 ? source : `${source} (window at ${(at / rate).toFixed(2)} s)`,
        )
      );
      return {
        ...first,
        windows: later,
        samples: clip.samples,
        nativeSampleRateHz: clip.nativeSampleRateHz,
        nativeChannels: clip.nativeChannels,
        nativeDurationS: clip.nativeDurationS,
      };
    },
  };
}

/**
 * The features, after checking every value is finite: a non-finite value in a cache, a scaler or
 * a model poisons everything computed from it, so it stops here with the file's name.
 */
export function assertFiniteFeatures<T extends ClipFeatures>(f: T, source: string): T {
  const parts: [string, Float32Array][] = [
    ["162-value vector", f.vector],
    ["log-mel sequence", f.sequence.logmel],
    ["MFCC + delta sequence", f.sequence.mfccDelta],
    ["prosody sequence", f.sequence.prosody],
  ];
  for (const [name, values] of parts) {
    let bad = 0;
    for (let i = 0; i < values.length; i++) if (values[i] - values[i] !== 0) bad++;
    if (bad > 0) {
      throw new Error(
        `${source}: ${bad} non-finite value${bad === 1 ? "" : "s"} in its ${name} ` +
          `(samples too large for float32 arithmetic?); the file is not used`,
      );
    }
  }
  return f;
}
