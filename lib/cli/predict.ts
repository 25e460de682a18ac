/**
 * `deno task predict clip.wav [more.wav ...] [--run=<run id or folder>] [--json]`: emotion
 * probabilities for your own audio from a trained run (the newest by default). Clips are
 * featurized exactly as in training (decode, mono, crop, resample to the run's rate), so any
 * sample rate, channel count or length works.
 */
import {
  DEFAULT_CONFIG,
  type FlagSpec,
  isStrict,
  ownClipText,
  parseArgs,
} from "../config/config.ts";
import { createClipFeaturizer, type FeaturizedClip } from "../features/clip.ts";
import { chooseGemm } from "../model/blas_ffi.ts";
import { useTrainingBackend } from "../model/backend.ts";
import { fitVoiceScaler, predictWindows } from "../model/predictor.ts";
import type { Scaler } from "../model/scaler.ts";
import { loadPredictor, resolveRun } from "../run/store.ts";
import { fromRoot, runCli } from "./common.ts";
import { readFileBytes } from "../audio/read_file.ts";
import { speechActivity } from "../live/gate.ts";

/** `--run=<run id or folder>` (default: the newest run) and `--json` (one JSON object out). */
export const PREDICT_FLAGS = {
  run: { kind: "string" },
  json: { kind: "boolean" },
} satisfies Record<string, FlagSpec>;

if (import.meta.main) {
  await runCli(async () => {
    const { config: cli, positional, flags } = parseArgs(Deno.args, DEFAULT_CONFIG, PREDICT_FLAGS);
    const json = flags.json === true;
    const run = (flags.run as string | undefined) ?? "";
    if (!positional.length) {
      throw new Error(
        "usage: deno task predict clip.wav [more.wav ...] [--run=<run id or folder>] [--json]",
      );
    }
    const runDir = await resolveRun(fromRoot(cli.resultsDir), run);
    const { gemm } = chooseGemm(cli.train.gemm, 1);
    await useTrainingBackend(gemm);
    const { predictor, config } = await loadPredictor(runDir);
    const featurizer = createClipFeaturizer(config.audio, config.features);
    const say = (text: string) => json || console.log(text);
    const n = predictor.members.length;
    const k = config.train.ensemble;
    const how = k > 1 ? ` (${n / k} folds x ${k} ensemble members)` : "";
    say(
      `run ${runDir} (${config.model} model, ${n} model${n > 1 ? "s" : ""}${how}${
        n > 1 ? " averaged" : ""
      }, ${config.eval.protocol} protocol)`,
    );
    const w = Math.max(8, ...predictor.labels.map((l) => l.length)) + 1;
    const clips: { file: string; clip: FeaturizedClip }[] = [];
    const errors: { file: string; error: string }[] = [];
    const silent: { file: string; speech: false; levelDbfs: number | null; voicedS: number }[] = [];
    const gate = cli.live;
    for (const file of positional) {
      let clip: FeaturizedClip;
      try {
        clip = featurizer.featurize(await readFileBytes(file), file);
      } catch (err) {
        errors.push({ file, error: (err as Error).message });
        say(`\n${file}\n  error: ${(err as Error).message}`);
        continue;
      }
      // The live page's speech gate: silence and hum get no emotion (and no say in the voice's
      // statistics below).
      const activity = speechActivity(clip.samples, config.audio.sampleRateHz, gate);
      if (!activity.speech) {
        const level = Number.isFinite(activity.levelDbfs) ? activity.levelDbfs : null;
        silent.push({ file, speech: false, levelDbfs: level, voicedS: activity.voicedS });
        say(
          `\n${file}: no speech (level ${level === null ? "-inf" : level.toFixed(1)} dBFS, ${
            activity.voicedS.toFixed(2)
          } s above ${gate.gateDbfs} dBFS; needs ${gate.minVoicedS} s)`,
        );
        continue;
      }
      clips.push({ file, clip });
    }
    // A run trained with per-speaker normalisation needs the voice's own statistics: here those
    // of all the files given, taken as one speaker.
    let speaker: Scaler | undefined;
    const norm = config.eval.speakerNorm;
    const setting = isStrict(norm) ? "strict" : norm;
    if (setting === "strict") {
      say(
        `setting: strict (nothing of your voice is known beforehand${
          ownClipText(norm) ? `; ${ownClipText(norm)}` : ""
        }), the run's strict figure`,
      );
    } else if (clips.length) {
      speaker = fitVoiceScaler(predictor, clips.map((c) => c.clip));
      say(
        `setting: ${setting} normalisation, the run's default figure: statistics of the ${clips.length} file(s) given, taken as one voice (fewer or shorter files estimate it worse)`,
      );
    }
    const results = clips.map(({ file, clip }) => {
      const probs = predictWindows(predictor, clip, speaker);
      const best = probs.indexOf(Math.max(...probs));
      const windows = 1 + clip.windows.length;
      const note = `${clip.nativeSampleRateHz} Hz, ${clip.nativeChannels} ch, ${
        clip.nativeDurationS.toFixed(2)
      } s${windows > 1 ? `, mean of ${windows} windows` : ""}`;
      say(`\n${file} (${note}): ${predictor.labels[best]} ${(100 * probs[best]).toFixed(1)} %`);
      const order = [...probs.keys()].sort((a, b) => probs[b] - probs[a]);
      for (const c of order) {
        const bar = "#".repeat(Math.round(probs[c] * 40));
        say(
          `  ${predictor.labels[c].padEnd(w)}${(100 * probs[c]).toFixed(1).padStart(5)} %  ${bar}`,
        );
      }
      return {
        file,
        speech: true,
        windows,
        predicted: predictor.labels[best],
        probabilities: Object.fromEntries(predictor.labels.map((l, c) => [l, probs[c]])),
      };
    });
    if (json) {
      const all = [
        ...results,
        ...silent.map((r) => ({ ...r, predicted: null, probabilities: null })),
      ];
      const order = (f: string) => positional.indexOf(f);
      all.sort((a, b) => order(a.file) - order(b.file));
      console.log(
        JSON.stringify({ run: runDir, setting, labels: predictor.labels, results: all, errors }),
      );
    }
    if (errors.length) {
      throw new Error(`${errors.length} of ${positional.length} file(s) could not be classified`);
    }
  });
}
