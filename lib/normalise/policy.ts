/**
 * What each `eval.speakerNorm` setting does, in one record per setting: whether it is strict
 * (nothing of a voice known beyond the clip), what it takes from a test voice, which frame
 * columns each clip z-scores over its own frames, and the sentences that describe it. Training,
 * evaluation, `predict`, the live page and the reports read the record; none branches on the
 * setting's name. Pure.
 */
import type { RunConfig, SpeakerNorm } from "../config/defaults.ts";
import { PROSODY_DIM } from "../features/prosody.ts";
import { inputParts, isTemporalInput } from "../schema/inputs.ts";
import type { ClipLevelLayout } from "./level.ts";
import { sequenceWidths } from "../features/extract.ts";

export interface NormPolicy {
  name: SpeakerNorm;
  /** Nothing of a test voice beyond the clip being classified. */
  strict: boolean;
  /**
   * Statistics of a voice: none; `all` of its recordings (test speakers' audio too, never
   * labels); or `online`, the running statistics of the clips met so far.
   */
  voice: "none" | "all" | "online";
  /** Frame columns each clip z-scores over its own frames: none, all, or the prosody block. */
  perClip: "none" | "all" | "prosody";
  /** Whether each clip's loudness level is taken from itself too (`normalise/level.ts`). */
  level: boolean;
  /** What it takes from the clip itself, in words ("" when nothing). */
  ownClip: string;
  /** Appended to the run's protocol text. */
  protocolText: string;
}

export const NORM_POLICIES: Record<SpeakerNorm, NormPolicy> = {
  "none": {
    name: "none",
    strict: true,
    voice: "none",
    perClip: "none",
    level: false,
    ownClip: "",
    protocolText: "",
  },
  "per-speaker": {
    name: "per-speaker",
    strict: false,
    voice: "all",
    perClip: "none",
    level: false,
    ownClip: "",
    protocolText:
      "; per-speaker normalisation: each actor's features z-scored with statistics of that actor's own recordings (test actors' audio included, never their labels)",
  },
  "online": {
    name: "online",
    strict: false,
    voice: "online",
    perClip: "none",
    level: false,
    ownClip: "",
    protocolText:
      "; online per-speaker normalisation: training actors z-scored with their own statistics; each test clip with running statistics of its actor's clips met so far (in a seeded random order, itself included, never labels)",
  },
  "per-clip": {
    name: "per-clip",
    strict: true,
    voice: "none",
    perClip: "all",
    level: false,
    ownClip: "each clip normalised by itself",
    protocolText:
      "; per-clip normalisation: each clip's frame features z-scored over its own frames (strict: nothing of a voice beyond the clip itself)",
  },
  "per-clip-prosody": {
    name: "per-clip-prosody",
    strict: true,
    voice: "none",
    perClip: "prosody",
    level: false,
    ownClip: "each clip's prosody relative to itself",
    protocolText:
      "; per-clip prosody normalisation: each clip's prosody frames (pitch, loudness, ...) z-scored over its own frames (strict: nothing of a voice beyond the clip itself)",
  },
  "per-clip-prosody-level": {
    name: "per-clip-prosody-level",
    strict: true,
    voice: "none",
    perClip: "prosody",
    level: true,
    ownClip: "each clip's prosody and loudness level relative to itself",
    protocolText:
      "; per-clip prosody and level normalisation: each clip's prosody frames z-scored over its own frames, and its log-mel and MFCC-0 columns taken relative to its own mean level (strict: nothing of a voice beyond the clip itself)",
  },
};

export function normPolicy(norm: SpeakerNorm): NormPolicy {
  const policy = NORM_POLICIES[norm];
  if (!policy) throw new Error(`unknown eval.speakerNorm '${norm}'`);
  return policy;
}

/**
 * The frame columns `[from, to)` a setting z-scores per clip for `input` (`width` columns per
 * frame): all of them, the prosody block (always last in a frame), or undefined for none.
 */
export function perClipColumns(
  norm: SpeakerNorm,
  input: string,
  width: number,
): [number, number] | undefined {
  const { perClip } = normPolicy(norm);
  if (perClip === "none") return undefined;
  if (perClip === "all") return [0, width];
  if (!isTemporalInput(input) || !inputParts(input).includes("prosody")) {
    throw new Error(`speakerNorm=${norm} needs an input with prosody (got ${input})`);
  }
  return [width - PROSODY_DIM, width];
}

/**
 * Whether test voices' batch-norm statistics replace the training set's (`eval.voiceBatchNorm`):
 * asked for, and the normalisation knows each voice from all its recordings (per-speaker).
 */
export function voiceBatchNormApplies(config: RunConfig): boolean {
  return config.eval.voiceBatchNorm && normPolicy(config.eval.speakerNorm).voice === "all";
}

/**
 * Whether test voices' pooled embeddings are mapped onto the training voices'
 * (`eval.voiceEmbeddingNorm`): asked for, and batch norm takes each voice's statistics too.
 */
export function voiceEmbeddingNormApplies(config: RunConfig): boolean {
  return config.eval.voiceEmbeddingNorm && voiceBatchNormApplies(config);
}

/**
 * Whether each test clip's networks take batch-norm statistics partly from the clip itself
 * (`eval.clipBatchNorm`): asked for, and the normalisation is strict (a per-speaker setting
 * has the whole voice's statistics instead).
 */
export function clipBatchNormApplies(config: RunConfig): boolean {
  return config.eval.clipBatchNorm > 0 && config.model === "temporal" &&
    normPolicy(config.eval.speakerNorm).strict;
}

/**
 * Where `input`'s frames keep the clip's level, for a setting that takes it from the clip
 * (`normPolicy(norm).level`); undefined for every other setting and for the clip vector.
 */
export function clipLevelLayout(
  norm: SpeakerNorm,
  input: string,
  features: Pick<RunConfig["features"], "sequenceMels" | "nMfcc" | "nMels">,
): ClipLevelLayout | undefined {
  if (!normPolicy(norm).level || !isTemporalInput(input)) return undefined;
  const widths = sequenceWidths(features);
  const layout: ClipLevelLayout = { logmel: null, c0: null, c0PerDb: Math.sqrt(features.nMels) };
  let at = 0;
  for (const part of inputParts(input)) {
    if (part === "logmel") layout.logmel = [at, at + widths.logmel];
    // MFCC + deltas: the MFCCs first, MFCC 0 the first of them.
    if (part === "mfccDelta") layout.c0 = at;
    at += widths[part];
  }
  if (layout.logmel === null && layout.c0 === null) {
    throw new Error(`speakerNorm=${norm} needs log-mel or MFCC frames in the input (got ${input})`);
  }
  return layout;
}
