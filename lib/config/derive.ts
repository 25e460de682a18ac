/**
 * Configs made from a config: its strict twin, and how another corpus of a run is read (its own
 * archive and windows). Pure.
 */
import {
  inputContains,
  spectralPart,
  TEMPORAL_INPUTS,
  type TemporalInput,
} from "../schema/inputs.ts";
import { CORPUS_ARCHIVES, CORPUS_AUDIO, type CorpusName } from "../schema/corpus.ts";
import type { RunConfig } from "./defaults.ts";

/** `members` fitted to `input`: each as is, or without prosody, if `input` holds it; else none. */
export function membersFor(
  input: TemporalInput,
  members: readonly TemporalInput[],
): TemporalInput[] {
  if (!TEMPORAL_INPUTS.includes(input)) return [...members];
  const fitted = members.map((m) => inputContains(input, m) ? m : spectralPart(m));
  return fitted.every((m) => inputContains(input, m)) ? fitted : [];
}

/**
 * The strict twin `reproduce` trains beside a per-speaker run: nothing of a test voice known
 * (`eval.strictNorm`: `per-clip-prosody-level` unless set), everything else (the pitch-shifted rows
 * too) as the run. A per-clip setting keeps the run's inputs, prosody relative to the clip; with
 * `none` the twin reads the spectral inputs only: absolute pitch and loudness say who speaks as
 * much as how (the measurements behind both: docs/results.md, issues 20 and 29).
 */
export function strictTwin(config: RunConfig): RunConfig {
  const wants = config.eval.strictNorm;
  // Per-clip settings need frames, and per-clip prosody prosody in them: without, `none`.
  const frames = config.model === "temporal";
  const hasProsody = frames && TEMPORAL_INPUTS.includes(config.temporal.input) &&
    inputContains(config.temporal.input, "prosody");
  const norm = !frames || (wants.startsWith("per-clip-prosody") && !hasProsody) ? "none" : wants;
  const spectral = spectralPart;
  return {
    ...config,
    // Strict settings fit no voice's statistics, so none for a voice's derived rows either.
    eval: {
      ...config.eval,
      speakerNorm: norm,
      augmentedAsVoices: false,
      voiceBatchNorm: false,
      voiceEmbeddingNorm: false,
    },
    // Batches of one voice train batch norm for a voice's own statistics, which a strict
    // setting never has: its networks train on batches of every voice.
    train: { ...config.train, voiceBatches: false },
    temporal: norm !== "none" ? config.temporal : {
      ...config.temporal,
      input: spectral(config.temporal.input),
      memberInputs: config.temporal.memberInputs.map(spectral),
    },
  };
}

/** Where another corpus of a run is found or fetched from: its own archive, no `--data DIR`. */
export function dataFor(data: RunConfig["data"], corpus: CorpusName): RunConfig["data"] {
  const archive = CORPUS_ARCHIVES[corpus];
  return { ...data, corpus, dir: "", url: archive?.url ?? "", md5: archive?.md5 ?? "" };
}

/** `config` with a corpus's own windows: how `data.trainAlso` and test corpora are read. */
export function audioFor(config: RunConfig, corpus: CorpusName): RunConfig {
  if (corpus === config.data.corpus) return config;
  return { ...config, audio: { ...config.audio, ...CORPUS_AUDIO[corpus] } };
}

/**
 * The weight a run gives its linear member: `train.linearWeight` for the frame networks, 0 for
 * the classic seed network (whose 162-value input has no frames to summarise).
 */
export function linearMemberWeight(config: RunConfig): number {
  return config.model === "temporal" ? config.train.linearWeight : 0;
}
