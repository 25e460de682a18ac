/** Builders for synthetic test data: tones and tiny RAVDESS-shaped corpora on disk. */
import { join } from "node:path";
import { encodeWav } from "../lib/audio/wav.ts";

export function tone(n: number, freqHz: number, sampleRateHz: number, amp = 0.5): Float32Array {
  return Float32Array.from(
    { length: n },
    (_, i) => amp * Math.sin((2 * Math.PI * freqHz * i) / sampleRateHz),
  );
}

/** RAVDESS name for actor/emotion (1-8)/statement. */
export function ravdessName(
  actor: number,
  emotion: number,
  statement = 1,
  repetition = 1,
  intensity = 1,
): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `03-01-${p(emotion)}-${p(intensity)}-${p(statement)}-${p(repetition)}-${p(actor)}.wav`;
}

/**
 * Writes a small corpus of 3.5 s tones (48 kHz, 16-bit) under `Actor_NN/` folders: one clip per
 * actor x emotion, each emotion its own pitch so features differ.
 */
export async function writeSyntheticCorpus(
  dir: string,
  actors: number[],
  emotions = [1, 2, 3, 4, 5, 6, 7, 8],
): Promise<string[]> {
  const names: string[] = [];
  for (const a of actors) {
    const folder = join(dir, `Actor_${String(a).padStart(2, "0")}`);
    await Deno.mkdir(folder, { recursive: true });
    for (const e of emotions) {
      const name = ravdessName(a, e);
      await Deno.writeFile(
        join(folder, name),
        encodeWav(tone(48000 * 3.5, 110 * e + 7 * a, 48000, 0.3), 48000),
      );
      names.push(name);
    }
  }
  return names;
}
