/**
 * `deno task export [--run=<run id or folder>]`: a trained run as ONNX, to run where you deploy
 * (Python, C++, mobile). Writes `<run>/onnx/<member>/model.onnx` per ensemble member (standard
 * opset 13; the member's scaler and columns inside, so each takes the unscaled input rows), one
 * per fold's linear member where the run has them (input: a clip's functionals), and
 * `<run>/onnx/ensemble.json`: the label order, the input, how the members are averaged, and what
 * must happen before the input (features, speaker normalisation) for the numbers to mean what
 * they meant in training.
 */
import { join } from "node:path";
import { DEFAULT_CONFIG, type FlagSpec, parseArgs } from "../config/config.ts";
import { chooseGemm } from "../model/blas_ffi.ts";
import { useTrainingBackend } from "../model/backend.ts";
import { exportLinearOnnx, exportOnnx } from "../model/onnx.ts";
import { MIN_BATCH_NORM_VOICE_WINDOWS, MIN_LINEAR_VOICE_WINDOWS } from "../model/predictor.ts";
import { loadPredictor, resolveRun } from "../run/store.ts";
import { normPolicy } from "../normalise/policy.ts";
import { fromRoot, runCli, withUserPaths } from "./common.ts";
import { writeFileAtomic, writeJsonAtomic } from "../cache/files.ts";

export const EXPORT_FLAGS = { run: { kind: "string" } } satisfies Record<string, FlagSpec>;

/** Writes the run folder's ONNX export; returns the files written. */
export async function exportRun(runDir: string): Promise<string[]> {
  const { predictor, config, record } = await loadPredictor(runDir);
  const out = join(runDir, "onnx");
  const width = predictor.rowShape[predictor.rowShape.length - 1];
  const written: string[] = [];
  const members = [];
  for (const m of predictor.members) {
    const bytes = exportOnnx({
      model: m.model,
      scaler: m.scaler,
      channels: m.channels ?? [0, width],
      rowShape: predictor.rowShape,
    }, m.name);
    const file = join(out, m.name, "model.onnx");
    await Deno.mkdir(join(out, m.name), { recursive: true });
    await writeFileAtomic(file, bytes);
    written.push(file);
    members.push({
      name: m.name,
      file: `${m.name}/model.onnx`,
      channels: m.channels ?? [0, width],
      ...(m.embedding ? { trainingEmbedding: m.embedding } : {}),
    });
  }
  // Each fold's linear member, if the run has them: its own input (a clip's functionals).
  const linear = [];
  for (const [i, m] of (predictor.linear ?? []).entries()) {
    const name = record.folds[i].linear!;
    const file = join(out, name, "model.onnx");
    await Deno.mkdir(join(out, name), { recursive: true });
    await writeFileAtomic(file, exportLinearOnnx(m, name));
    written.push(file);
    linear.push({ name, file: `${name}/model.onnx` });
  }
  const policy = normPolicy(config.eval.speakerNorm);
  const first = predictor.linear?.[0];
  const ensemble = {
    run: record.runId,
    labels: predictor.labels,
    input: {
      name: "input",
      kind: predictor.input,
      shape: ["batch", ...predictor.rowShape],
      note:
        "unscaled model inputs: each model.onnx applies its own scaler and columns; compute them as lib/features does (librosa's parameters in `features`, clips of `audio.durationS` seconds at `audio.sampleRateHz`)",
    },
    output: { name: "probs", shape: ["batch", predictor.labels.length] },
    averaging: first
      ? `(1 - ${first.weight}) x the mean of the members' probabilities (one member per fold and ensemble network) + ${first.weight} x the mean of the linear members' (one per fold)`
      : "mean of the members' probabilities (one member per fold and ensemble network)",
    members,
    ...(first
      ? {
        linear: {
          weight: first.weight,
          members: linear,
          input: {
            name: "functionals",
            shape: ["batch", first.model.inputs],
            statistics: first.layout.statistics,
            layout: first.layout,
            note:
              "for every column of the unscaled input (frames x width), these statistics over its frames, column by column (lib/features/functionals.ts inputFunctionals: population std, numpy's linear percentiles (min p0, max p100), least-squares slope per frame, curvature = second-order coefficient of a least-squares parabola over centred frame times, skew and kurtosis = standardised 3rd/4th moments (0 for a constant column), deltaStd/deltaAbsMean = population std and mean |x| of x[t+1] - x[t]; the layout's voicedOnly columns over frames whose voicedColumn is >= 0.5 only, all 0 when none is)",
            before: first.perVoice
              ? `z-score each functional with the mean and spread of the speaker's own clips' functionals (as the input's per-speaker statistics), then feed it; with fewer than ${MIN_LINEAR_VOICE_WINDOWS} clips or windows of the voice leave the linear members out (the networks alone), as predict does`
              : "nothing: feed the functionals as computed",
          },
        },
      }
      : {}),
    normalisation: {
      speakerNorm: policy.name,
      strict: policy.strict,
      perClipColumns: predictor.perClip ?? null,
      clipLevel: predictor.clipLevel ?? null,
      before: policy.voice === "none"
        ? (predictor.clipLevel
          ? "first take the clip's level from itself: its level L = mean over frames of column clipLevel.c0 / clipLevel.c0PerDb (where c0 is null: the mean of the clipLevel.logmel columns over frames); subtract L from every clipLevel.logmel column and L x c0PerDb from column c0, in every frame; then "
          : "") +
          (predictor.perClip
            ? "z-score each clip's columns perClipColumns over its own frames, then feed it"
            : "nothing: feed the input as computed")
        : "z-score each column with the speaker's own mean and spread over their clips (the run used per-speaker statistics), then feed it",
      batchNorm: predictor.voiceBatchNorm
        ? `the run scored each voice with every network's BatchNormalization mean and variance taken from that voice (eval.voiceBatchNorm): for each member, run the speaker's clips (normalised as above and by the member's scaler) up to each BatchNormalization node in turn, set its mean and variance to the per-channel mean and population variance there (over clips and frames), then go on to the next; with fewer than ${MIN_BATCH_NORM_VOICE_WINDOWS} clips or windows keep the stored ones (the training set's), as predict does`
        : predictor.clipBatchNorm
        ? `the run scored each clip with every network's BatchNormalization mean and variance mixed from the clip and the stored ones (eval.clipBatchNorm): for each member, run the clip up to each BatchNormalization node in turn, take the per-channel mean and population variance over its frames there, set the node's mean to (${predictor.clipBatchNorm} x stored mean + clip mean) / ${
          predictor.clipBatchNorm + 1
        } and its variance likewise from the stored and the clip's variances, then go on to the next`
        : "the stored BatchNormalization statistics (the training set's)",
      embedding: predictor.members.some((m) => m.embedding)
        ? "and (eval.voiceEmbeddingNorm) the input of each member's first Gemm after the time pooling (its pooled embedding) standardised per unit with the mean and population spread of the speaker's clips' embeddings there (computed with the speaker's BatchNormalization statistics), then multiplied by the member's trainingEmbedding.scale and added its trainingEmbedding.mean"
        : "nothing",
    },
    audio: config.audio,
    features: config.features,
    opset: 13,
  };
  const manifest = join(out, "ensemble.json");
  await writeJsonAtomic(manifest, ensemble);
  written.push(manifest);
  return written;
}

if (import.meta.main) {
  await runCli(async () => {
    const parsed = parseArgs(Deno.args, DEFAULT_CONFIG, EXPORT_FLAGS);
    const cli = withUserPaths(parsed.config, Deno.args);
    const runDir = await resolveRun(fromRoot(cli.resultsDir), (parsed.flags.run as string) ?? "");
    await useTrainingBackend(chooseGemm("auto", 1).gemm);
    const files = await exportRun(runDir);
    console.log(`ONNX export of ${runDir}:\n  ${files.join("\n  ")}`);
  });
}
