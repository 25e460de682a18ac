/**
 * RAVDESS file names (the label sets and clip records all corpora share are in schema/corpus.ts).
 * Pure: no file system access here.
 *
 * A name is `modality-channel-emotion-intensity-statement-repetition-actor.wav`, seven
 * two-digit fields, e.g. `03-01-05-02-01-01-01.wav` = audio-only, speech, angry, strong,
 * "Kids are talking by the door", first repetition, actor 1.
 */

import { EMOTIONS_8, type RavdessName } from "../schema/corpus.ts";

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
