/**
 * The vocabulary every corpus, the config and the run records share, at the bottom of the
 * imports (nothing here imports from the rest of lib/): corpus names, the common emotions and
 * label sets, the clip record, the audio windows and public archives each corpus has. Pure.
 */

/** RAVDESS's eight emotions, in its order: the order of every table and model output. */
export const EMOTIONS_8 = [
  "neutral",
  "calm",
  "happy",
  "sad",
  "angry",
  "fearful",
  "disgust",
  "surprised",
] as const;
/** One of RAVDESS's eight emotions. */
export type Emotion = typeof EMOTIONS_8[number];

/** The 7-class variant merges calm into neutral. */
export const EMOTIONS_7 = EMOTIONS_8.filter((e) => e !== "calm");

/** Every emotion any corpus has: RAVDESS's eight in their order, then boredom (EmoDB). */
export const COMMON_EMOTIONS = [...EMOTIONS_8, "boredom"] as const;
/** An emotion of any corpus, on the common vocabulary. */
export type CommonEmotion = (typeof COMMON_EMOTIONS)[number];

/** The corpora the project reads. */
export const CORPUS_NAMES = [
  "ravdess",
  "emodb",
  "cremad",
  "tess",
  "savee",
  "emovo",
  "manifest",
  "audiofolder",
] as const;
/** A corpus the project reads. */
export type CorpusName = (typeof CORPUS_NAMES)[number];

/** RAVDESS's label sets. */
export const LABEL_SET_NAMES = ["8class", "7class"] as const;
/** RAVDESS's label sets: `8class`, or `7class` with calm merged into neutral. */
export type LabelSetName = (typeof LABEL_SET_NAMES)[number];

/** The classes a run tells apart, and how an emotion maps onto them. */
export interface LabelSet {
  /** `8class` / `7class` (RAVDESS), or a corpus's own set (its name). */
  name: string;
  /** Class names, in the order of the model's outputs. */
  classes: readonly string[];
  /** Class index of an emotion under this label set (-1: not one of its classes). */
  indexOf(emotion: string): number;
}

/** RAVDESS's eight emotions, or seven with calm merged into neutral. */
export function labelSet(name: LabelSetName): LabelSet {
  if (name === "8class") {
    return { name, classes: EMOTIONS_8, indexOf: (e) => EMOTIONS_8.indexOf(e as Emotion) };
  }
  if (name === "7class") {
    return {
      name,
      classes: EMOTIONS_7,
      indexOf: (e) => (EMOTIONS_7 as readonly string[]).indexOf(e === "calm" ? "neutral" : e),
    };
  }
  throw new Error(`unknown label set '${name}' (want 8class or 7class)`);
}

/** What a RAVDESS file name says. */
export interface RavdessName {
  /** Audio-visual, video-only or audio-only. */
  modality: "full-AV" | "video-only" | "audio-only";
  /** Spoken or sung. */
  vocalChannel: "speech" | "song";
  /** The emotion acted. */
  emotion: Emotion;
  /** Normal or strong intensity (neutral is only normal). */
  intensity: "normal" | "strong";
  /** Statement 1 ("Kids are talking by the door") or 2 ("Dogs are sitting by the door"). */
  statement: 1 | 2;
  /** First or second repetition. */
  repetition: 1 | 2;
  /** The actor, 1-24. */
  actor: number;
  /** RAVDESS actors with odd numbers are male, even numbers female. */
  sex: "male" | "female";
}

/**
 * One clip of a corpus. RAVDESS clips carry every field of their name (as they always have, so
 * caches keep their bytes); clips of other corpora carry `corpus` and their own fields (sentence,
 * level, ...), with the speaker as `actor`, a number unique within the corpus.
 */
export interface ClipRecord extends Partial<Omit<RavdessName, "actor" | "emotion" | "sex">> {
  /** Stable id: the file name without `.wav` (SAVEE's nested files get their speaker in front). */
  id: string;
  /** Path relative to the corpus root, with `/` separators, e.g. `Actor_01/03-01-...wav`. */
  relPath: string;
  /** The file's size in bytes. */
  sizeBytes: number;
  /** The speaker. */
  actor: number;
  /**
   * The emotion, on the common vocabulary (a user's own corpus may have labels beyond it: they
   * are kept as they are).
   */
  emotion: string;
  /** The speaker's sex, where the corpus says. */
  sex?: "male" | "female";
  /** Absent for RAVDESS. */
  corpus?: CorpusName;
  /** Corpus-specific fields (sentence, intensity, level, ...). */
  [field: string]: unknown;
}

/** The audio settings a corpus chooses (the rest of `audio` is the same for every corpus). */
export interface CorpusAudio {
  /** Seconds skipped at the start of each clip. */
  offsetS: number;
  /** Trim audio this many dB below the loudest frame at both ends (0: off). */
  trimDb: number;
  /** Seconds between the windows a long clip is scored over (0: one window). */
  windowHopS: number;
}

/** The classic recipe's window: skip RAVDESS's 0.6 s lead-in, one 2.5 s window. */
const CLASSIC_WINDOW: CorpusAudio = { offsetS: 0.6, trimDb: 0, windowHopS: 0 };
/** Trim what is 40 dB below the loudest frame, then windows every 1.25 s (half a window). */
const SPEECH_WINDOWS: CorpusAudio = { offsetS: 0, trimDb: 40, windowHopS: 1.25 };

/**
 * How each corpus's clips are windowed unless `--audio.*` says otherwise: RAVDESS keeps the
 * classic recipe's window; corpora whose clips start with speech and run from under 1 s to over
 * 10 s are trimmed of leading and trailing silence and scored over overlapping windows.
 */
export const CORPUS_AUDIO: Record<CorpusName, CorpusAudio> = {
  ravdess: CLASSIC_WINDOW,
  emodb: SPEECH_WINDOWS,
  cremad: SPEECH_WINDOWS,
  tess: SPEECH_WINDOWS,
  savee: SPEECH_WINDOWS,
  emovo: SPEECH_WINDOWS,
  manifest: SPEECH_WINDOWS,
  audiofolder: SPEECH_WINDOWS,
};

/** A public archive a corpus is downloaded from. */
export interface CorpusArchive {
  /** Where it is downloaded from. */
  url: string;
  /** Published MD5 of the archive; empty where none is published (its entries' CRC-32s still are). */
  md5: string;
  /** Name the archive is saved as under `data/downloads/`. */
  fileName: string;
  /** Clips the corpus has as published, said after unpacking. */
  clips: number;
}

/**
 * The stable public archives `deno task data --data.corpus=NAME` fetches; the other corpora need
 * registration or have none (their messages say where to get them).
 */
export const CORPUS_ARCHIVES: Partial<Record<CorpusName, CorpusArchive>> = {
  ravdess: {
    url: "https://zenodo.org/records/1188976/files/Audio_Speech_Actors_01-24.zip?download=1",
    md5: "bc696df654c87fed845eb13823edef8a",
    fileName: "Audio_Speech_Actors_01-24.zip",
    clips: 1440,
  },
  emodb: {
    url: "http://emodb.bilderbar.info/download/download.zip",
    md5: "",
    fileName: "emodb-download.zip",
    clips: 535,
  },
};
