/**
 * ser-deno: speech emotion recognition in TypeScript. This entry point is browser-safe (no Deno
 * APIs): read a WAV, find its speech, and classify a recording with a trained run (loaded from
 * disk by `@ser/deno/fs`).
 *
 * ```ts
 * import { classify } from "@ser/deno";
 * import { loadRun } from "@ser/deno/fs";
 * const run = await loadRun("results/2026-12-07T06-24-52Z-temporal-speaker");
 * const answer = await classify(await Deno.readFile("clip.wav"), run);
 * console.log(answer.predicted, answer.probabilities);
 * ```
 *
 * @module
 */
export {
  type ByteSource,
  type DecodedAudio,
  decodeWav,
  type DecodeWindow,
  encodeWav,
} from "./audio/wav.ts";
export { loadAudio, type LoadedClip, type LoadOptions } from "./audio/load.ts";
export type { ResamplerName } from "./audio/resample.ts";
export { detectSpeech, type SpeechOptions, type SpeechVerdict } from "./features/speech.ts";
export {
  type Classification,
  classify,
  type ClassifyOptions,
  type TrainedRun,
} from "./live/classify.ts";
