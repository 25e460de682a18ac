/**
 * Features of a clip as training computes them (librosa's numbers): the classic 162-value vector,
 * log-mel, MFCC + deltas and prosody frames; pitch by YIN; the speech detector; what a model
 * input is. Browser-safe.
 *
 * @module
 */
export {
  type ClipFeatures,
  createFeatureExtractor,
  type FeatureExtractor,
  type FrameFeatures,
  type SequenceFeatures,
} from "./extract.ts";
export { type FeatureConfig, PAD_MODES } from "../config/defaults.ts";
export { PROSODY_COLUMNS, type YinOptions, type YinTrack, yinTrack } from "./prosody.ts";
export {
  detectSpeech,
  judgeSpeech,
  type SampleReader,
  type SpeechOptions,
  type SpeechTrack,
  speechTrack,
  type SpeechVerdict,
} from "./speech.ts";
export {
  INPUT_PARTS,
  type InputKind,
  inputNamed,
  inputOf,
  inputParts,
  type InputSource,
  type SequenceName,
  SEQUENCES,
  TEMPORAL_INPUTS,
  type TemporalInput,
} from "../schema/inputs.ts";
