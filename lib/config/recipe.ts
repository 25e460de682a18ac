/**
 * The augmentation recipe's grammar: a row joins steps with `+` (`stretch+pitch`), a step may
 * carry its own size after `@` (`pitch@-2`). Pure.
 */
import { AUGMENT_STEPS, type AugmentStep } from "./defaults.ts";

export interface RecipeStep {
  kind: AugmentStep;
  /**
   * The step's own size where the recipe gives one (`pitch@-2`: semitones, `stretch@1.1`: rate),
   * so one recipe can hold shifts of several sizes; otherwise the config's value applies.
   */
  value?: number;
}

/** Steps that take a size after `@`. */
export const SIZED_STEPS: readonly AugmentStep[] = ["pitch", "stretch"];

/**
 * Reads one step like `pitch` or `pitch@-2.5`; a string saying what is wrong with it otherwise
 * (config validation reports it).
 */
export function parseStep(text: string): RecipeStep | string {
  const [kind, size, ...rest] = text.split("@");
  if (!(AUGMENT_STEPS as readonly string[]).includes(kind)) {
    return `unknown step '${kind}' (steps: ${AUGMENT_STEPS.join(", ")})`;
  }
  if (size === undefined) return { kind: kind as AugmentStep };
  const value = Number(size);
  if (rest.length || size.trim() === "" || !Number.isFinite(value)) {
    return `'${text}': the size after @ must be one number`;
  }
  if (!SIZED_STEPS.includes(kind as AugmentStep)) {
    return `'${text}': only ${SIZED_STEPS.join(" and ")} take a size after @`;
  }
  if (kind === "stretch" && !(value > 0)) return `'${text}': a stretch rate must be > 0`;
  if (kind === "pitch" && value === 0) return `'${text}': a pitch shift of 0 changes nothing`;
  return { kind: kind as AugmentStep, value };
}
