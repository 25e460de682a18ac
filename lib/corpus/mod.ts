/**
 * The corpora ser-deno reads, by their file names alone: RAVDESS, EmoDB, CREMA-D, TESS, SAVEE and
 * EMOVO; their emotions on one common vocabulary, and label sets. Browser-safe.
 *
 * @module
 */
export { CORPORA, type CorpusSpec, corpusSpec, type ParsedClip } from "./corpora.ts";
export { parseRavdessName } from "./ravdess.ts";
export {
  type ClipRecord,
  COMMON_EMOTIONS,
  type CommonEmotion,
  CORPUS_NAMES,
  type CorpusArchive,
  type CorpusAudio,
  type CorpusName,
  type Emotion,
  EMOTIONS_8,
  LABEL_SET_NAMES,
  type LabelSet,
  labelSet,
  type LabelSetName,
  type RavdessName,
} from "../schema/corpus.ts";
