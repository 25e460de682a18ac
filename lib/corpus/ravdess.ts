/**
 * RAVDESS file names, label sets and clip records. Pure: no file system access here.
 *
 * A name is `modality-channel-emotion-intensity-statement-repetition-actor.wav`, seven
 * two-digit fields, e.g. `03-01-05-02-01-01-01.wav` = audio-only, speech, angry, strong,
 * "Kids are talking by the door", first repetition, actor 1.
 */

import type { CommonEmotion, CorpusName } from "./corpora.ts";

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

export type Emotion = typeof EMOTIONS_8[number];

/** The 7-class variant merges calm into neutral. */
export const EMOTIONS_7 = EMOTIONS_8.filter((e) => e !== "calm");

export type LabelSetName = "8class" | "7class";

export interface LabelSet {
  /** `8class` / `7class` (RAVDESS), or a corpus's own set (its name). */
  name: string;
  classes: readonly string[];
  /** Class index of an emotion under this label set (-1: not one of its classes). */
  indexOf(emotion: CommonEmotion): number;
}

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

export interface RavdessName {
  modality: "full-AV" | "video-only" | "audio-only";
  vocalChannel: "speech" | "song";
  emotion: Emotion;
  intensity: "normal" | "strong";
  statement: 1 | 2;
  repetition: 1 | 2;
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
  sizeBytes: number;
  /** The speaker. */
  actor: number;
  emotion: CommonEmotion;
  sex?: "male" | "female";
  /** Absent for RAVDESS. */
  corpus?: CorpusName;
  [field: string]: unknown;
}

const NAME_RE = /^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})\.wav$/i;

/** Parses a RAVDESS file name (basename only); throws an error that names the file and field. */
export function parseRavdessName(fileName: string): RavdessName {
  const m = NAME_RE.exec(fileName);
  if (!m) {
    throw new Error(
      `${fileName}: not a RAVDESS file name (want seven two-digit fields like 03-01-05-02-01-01-01.wav)`,
    );
  }
  const [modality, channel, emotion, intensity, statement, repetition, actor] = m.slice(1).map(
    Number,
  );
  const bad = (field: string, value: number, allowed: string): never => {
    throw new Error(
      `${fileName}: invalid ${field} ${String(value).padStart(2, "0")} (allowed: ${allowed})`,
    );
  };
  const modalities = ["full-AV", "video-only", "audio-only"] as const;
  if (modality < 1 || modality > 3) bad("modality", modality, "01-03");
  if (channel < 1 || channel > 2) bad("vocal channel", channel, "01 speech, 02 song");
  if (emotion < 1 || emotion > 8) bad("emotion", emotion, "01-08");
  if (intensity < 1 || intensity > 2) bad("intensity", intensity, "01 normal, 02 strong");
  if (emotion === 1 && intensity === 2) bad("intensity", intensity, "neutral has only 01 normal");
  if (statement < 1 || statement > 2) bad("statement", statement, "01-02");
  if (repetition < 1 || repetition > 2) bad("repetition", repetition, "01-02");
  if (actor < 1 || actor > 24) bad("actor", actor, "01-24");
  return {
    modality: modalities[modality - 1],
    vocalChannel: channel === 1 ? "speech" : "song",
    emotion: EMOTIONS_8[emotion - 1],
    intensity: intensity === 1 ? "normal" : "strong",
    statement: statement as 1 | 2,
    repetition: repetition as 1 | 2,
    actor,
    sex: actor % 2 === 1 ? "male" : "female",
  };
}
