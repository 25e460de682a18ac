/**
 * Test fixtures for what reads a trained run: a run folder with small untrained models, written
 * as `deno task reproduce` writes one, and a voice-like signal the speech detector hears.
 */
import { join } from "node:path";
import type { RunConfig } from "../lib/config/config.ts";
import { buildTemporalModel } from "../lib/model/networks.ts";
import { saveModel } from "../lib/model/io_fs.ts";
import { useTrainingBackend } from "../lib/model/backend.ts";
import { jsGemm } from "../lib/model/gemm.ts";
import { EMOTIONS_8 } from "../lib/schema/corpus.ts";

export const LABELS: string[] = [...EMOTIONS_8];

/** A voiced, vowel-like signal: gliding pitch, ten harmonics, syllables at 4 per second. */
export function voice(
  seconds: number,
  sampleRateHz: number,
  amp = 0.3,
  pitchHz = 140,
): Float32Array {
  const out = new Float32Array(Math.round(seconds * sampleRateHz));
  let phase = 0;
  for (let i = 0; i < out.length; i++) {
    const t = i / sampleRateHz;
    phase += (2 * Math.PI * pitchHz * (1 + 0.18 * Math.sin(2 * Math.PI * 0.7 * t))) / sampleRateHz;
    let v = 0;
    for (let k = 1; k <= 10; k++) v += Math.sin(k * phase) / k;
    const syllable = 0.5 - 0.5 * Math.cos(2 * Math.PI * 4 * t);
    out[i] = amp * 0.5 * syllable * v;
  }
  return out;
}

/**
 * A run folder as `deno task reproduce` writes it, with small untrained models: fold-1-2 written
 * the way runs were before ensembles (no `models` list, one model that sees the whole input),
 * fold-3-4 with two ensemble members that see different features.
 */
export async function writeSyntheticRun(
  resultsDir: string,
  config: RunConfig,
  runId = "2026-01-01T00-00-00Z-temporal-speaker",
): Promise<string> {
  const dir = join(resultsDir, runId);
  const frames = 108;
  // The default input: log-mel and MFCC + deltas side by side in every frame.
  const mels = config.features.sequenceMels;
  const dims = mels + 3 * config.features.nMfcc;
  // fold-3-4's members each see one half of a frame, as the default ensemble's do.
  const views: Record<string, { input: string; channels: [number, number] }> = {
    "fold-3-4": { input: "logmel", channels: [0, mels] },
    "fold-3-4-m2": { input: "mfccDelta", channels: [mels, dims] },
  };
  const folds = [
    { name: "fold-1-2", trainActors: [3, 4], testActors: [1, 2] },
    {
      name: "fold-3-4",
      models: ["fold-3-4", "fold-3-4-m2"],
      trainActors: [1, 2],
      testActors: [3, 4],
    },
  ];
  await useTrainingBackend(jsGemm);
  const members = folds.flatMap((f) => f.models ?? [f.name]);
  for (const [i, name] of members.entries()) {
    const [from, to] = views[name]?.channels ?? [0, dims];
    const model = buildTemporalModel(frames, to - from, 8, {
      filters: [8, 8],
      kernelSize: 3,
      dropout: 0,
      denseUnits: 8,
      pooling: "meanMax",
    }, 100 + i);
    const modelDir = join(dir, "models", name);
    await saveModel(model, modelDir);
    model.dispose();
    // Scalers cover the whole input; a member picks its columns after scaling.
    const scaler = {
      dim: dims,
      mean: Array(dims).fill(0.1 * i),
      scale: Array(dims).fill(1.5),
      fittedOn: 1,
    };
    await Deno.writeTextFile(join(modelDir, "scaler.json"), JSON.stringify(scaler));
  }
  await Deno.writeTextFile(
    join(dir, "config.json"),
    JSON.stringify({
      runId,
      // Networks only: a linear member is fitted from a corpus, which this fixture has none of.
      config: { ...config, train: { ...config.train, linearWeight: 0 } },
      labels: LABELS,
      input: { kind: "logmelMfccDelta", rowShape: [frames, dims], featureDim: dims },
      members: views,
      folds,
      protocol: {
        text: "synthetic test run (untrained weights)",
        speakerNorm: config.eval.speakerNorm,
      },
      corpus: { root: "synthetic", clips: 16, manifestHash: "0" },
    }),
  );
  const spread = { mean: 0.125, std: 0, values: [0.125, 0.125] };
  await Deno.writeTextFile(
    join(dir, "metrics.json"),
    JSON.stringify({
      runId,
      model: "temporal",
      protocol: "speaker",
      protocolText: "synthetic test run (untrained weights)",
      leaky: false,
      folds: folds.map(({ name, trainActors, testActors }) => ({ name, trainActors, testActors })),
      primary: { labels: LABELS, accuracy: spread, uar: spread, macroF1: spread },
    }),
  );
  return runId;
}
