/**
 * Augmentation recipes: which rows a training clip yields, each a chain of steps applied to the
 * loaded clip, every random draw from a generator seeded by (seed, clip, row). Pure.
 */
import { type AugmentConfig, parseStep, type RecipeStep } from "../config/config.ts";
import { createRng, type Rng } from "../util/random.ts";
import { addNoiseAtSnr, addWhiteNoiseClassic } from "./noise.ts";
import { drawShift, roll, shiftWithSilence } from "./shift.ts";
import { LIBROSA_STFT, pitchShift, timeStretch } from "./stretch.ts";

export interface RecipeRow {
  /** The row's name as written in the recipe, e.g. `stretch+pitch` or `pitch@-2`. */
  name: string;
  steps: RecipeStep[];
}

export function parseRecipe(recipe: readonly string[]): RecipeRow[] {
  return recipe.map((name) => ({
    name,
    steps: name.split("+").map((text) => {
      const step = parseStep(text);
      if (typeof step === "string") throw new Error(`augment.recipe: ${step}`);
      return step;
    }),
  }));
}

/** Recipe rows that change the audio (everything but the plain original). */
export function derivedRows(recipe: readonly string[]): RecipeRow[] {
  return parseRecipe(recipe).filter((r) =>
    !(r.steps.length === 1 && r.steps[0].kind === "original")
  );
}

/** The generator for one row of one clip: reruns give identical draws. */
export function rowRng(seed: number, clipId: string, rowName: string): Rng {
  return createRng(`${seed}|${clipId}|${rowName}`);
}

/** Applies one step. */
export function applyStep(
  y: Float32Array,
  step: RecipeStep,
  sampleRateHz: number,
  cfg: AugmentConfig,
  rng: Rng,
): Float32Array {
  const stft = { ...LIBROSA_STFT, vocoder: cfg.vocoder };
  switch (step.kind) {
    case "original":
      return y;
    case "noise":
      return cfg.noise === "classic"
        ? addWhiteNoiseClassic(y, rng, cfg.noiseFactor)
        : addNoiseAtSnr(y, cfg.noiseSnrDb, rng);
    case "stretch":
      return timeStretch(y, step.value ?? cfg.stretchRate, stft);
    case "pitch":
      return pitchShift(y, sampleRateHz, step.value ?? cfg.pitchSemitones, stft);
    case "shift": {
      const n = drawShift(rng, cfg.shiftMaxSamples);
      return cfg.shiftMode === "roll" ? roll(y, n) : shiftWithSilence(y, n);
    }
  }
}

/** Applies a row's chain of steps to a clip. */
export function applyRow(
  y: Float32Array,
  row: RecipeRow,
  sampleRateHz: number,
  cfg: AugmentConfig,
  rng: Rng,
): Float32Array {
  return row.steps.reduce((signal, step) => applyStep(signal, step, sampleRateHz, cfg, rng), y);
}

/**
 * Each named row applied to one clip with the generator training would use for it: the
 * augment notebook's before/after gallery.
 */
export function applyEachStep(
  y: Float32Array,
  sampleRateHz: number,
  cfg: AugmentConfig,
  seed: number,
  clipId: string,
  rows: readonly string[],
): { label: string; samples: Float32Array; sampleRateHz: number }[] {
  return parseRecipe(rows).map((row) => ({
    label: row.name,
    samples: applyRow(y, row, sampleRateHz, cfg, rowRng(seed, clipId, row.name)),
    sampleRateHz,
  }));
}

/**
 * The test-time variants of a window of audio (`eval.tta`), made as evaluation makes them for a
 * test clip: each row applied to the samples with the generator of (seed, `source`, row). An
 * empty list where the run scores clips alone.
 */
export function testTimeVariants(
  rows: readonly string[],
  sampleRateHz: number,
  cfg: AugmentConfig,
  seed: number,
): (y: Float32Array, source?: string) => Float32Array[] {
  const parsed = derivedRows(rows);
  return (y, source = "clip") =>
    parsed.map((row) => applyRow(y, row, sampleRateHz, cfg, rowRng(seed, source, row.name)));
}
