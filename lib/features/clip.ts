/**
 * From a file's bytes to the features we cache: decode, crop, resample, extract.
 * Pure: no Deno APIs, so the same code featurizes in workers, in `predict` and in a browser.
 */
import type { AudioConfig, FeatureConfig } from "../config/config.ts";
import { loadAudio } from "../audio/load.ts";
import { type ClipFeatures, createFeatureExtractor, type FeatureExtractor } from "./extract.ts";

export interface ClipFeaturizer {
  audio: AudioConfig;
  extractor: FeatureExtractor;
  /** Features of a clip's bytes; `source` names the file in errors. */
  featurize(bytes: Uint8Array, source: string): FeaturizedClip;
}

export interface FeaturizedClip extends ClipFeatures {
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
      const clip = loadAudio(bytes, audio, source);
      if (clip.samples.length === 0) {
        throw new Error(
          `${source}: no audio after the ${audio.offsetS} s offset (file is ${
            clip.nativeDurationS.toFixed(2)
          } s long)`,
        );
      }
      return {
        ...extractor.extract(clip.samples),
        samples: clip.samples,
        nativeSampleRateHz: clip.nativeSampleRateHz,
        nativeChannels: clip.nativeChannels,
        nativeDurationS: clip.nativeDurationS,
      };
    },
  };
}
