/**
 * Do the 22.05 kHz copies of `../shared/ravdess-extra` score differently from 48 kHz originals?
 * Actors 1-8 (originals) score 10-12 points above actors 9-20 (copies) in every twenty-voice run;
 * this scores the originals of actors 1-4 with the networks of a run's first fold (trained on
 * actors 5-20), once as they are and once as copies made the way the extra actors were
 * (scipy's `resample_poly(x, 147, 320)`: a Kaiser-windowed sinc, beta 5, half-length 10 x 320),
 * each version normalised with its own per-speaker statistics, as `predict` does:
 *
 *   deno run -A tools/source_check.ts RUN_DIR
 *
 * The originals' line reproduces the run's fold-1 accuracy (the same path as evaluation).
 */
import { join } from "node:path";
import { loadPredictor } from "../lib/run/store.ts";
import { createClipFeaturizer } from "../lib/features/clip.ts";
import { fitVoiceScaler, predictClip } from "../lib/model/predictor.ts";
import { decodeWav, encodeWav } from "../lib/audio/wav.ts";
import { useTrainingBackend } from "../lib/model/backend.ts";
import { jsGemm } from "../lib/model/gemm.ts";

await useTrainingBackend(jsGemm);
const run = Deno.args[0];
if (!run) throw new Error("give a run folder trained on twenty voices (5 folds)");
const { predictor, config } = await loadPredictor(run);
const p = {
  ...predictor,
  members: predictor.members.filter((m) => m.name.startsWith("fold-1-2-3-4")),
  linear: undefined,
};
console.log(`fold-1 members: ${p.members.map((m) => m.name).join(", ")}`);
const featurizer = createClipFeaturizer(config.audio, config.features);

// scipy.signal.resample_poly(x, 147, 320): Kaiser(beta 5) windowed sinc, half-length 10*320.
const up = 147, down = 320, half = 10 * down;
function bessel0(x: number) {
  let s = 1, t = 1;
  for (let k = 1; k < 30; k++) {
    t *= (x / (2 * k)) ** 2;
    s += t;
  }
  return s;
}
const h = new Float64Array(2 * half + 1);
for (let i = 0; i < h.length; i++) {
  const n = i - half, fc = 1 / down;
  const sinc = n === 0 ? 1 : Math.sin(Math.PI * fc * n) / (Math.PI * fc * n);
  const w = bessel0(5 * Math.sqrt(1 - (n / half) ** 2)) / bessel0(5);
  h[i] = fc * sinc * w * up;
}
function resamplePoly(x: Float32Array): Float32Array {
  const outLen = Math.ceil(x.length * up / down);
  const y = new Float32Array(outLen);
  for (let n = 0; n < outLen; n++) {
    const center = n * down; // position in the upsampled signal; filter centred (delay half)
    let acc = 0;
    // upsampled index j = center + half - i must be a multiple of up: j = up*m
    const jMin = center - half, jMax = center + half;
    for (let m = Math.ceil(jMin / up); m * up <= jMax; m++) {
      if (m < 0 || m >= x.length) continue;
      acc += x[m] * h[center - m * up + half];
    }
    y[n] = acc;
  }
  return y;
}

for (const actor of [1, 2, 3, 4]) {
  const dir = `/work/shared/ravdess/Actor_${String(actor).padStart(2, "0")}`;
  const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".wav"))
    .sort();
  const versions: Record<string, { f: ReturnType<typeof featurizer.featurize>; emo: number }[]> = {
    orig: [],
    copy: [],
  };
  for (const name of files) {
    const bytes = await Deno.readFile(join(dir, name));
    const emo = Number(name.split("-")[2]) - 1;
    versions.orig.push({ f: featurizer.featurize(bytes, name), emo });
    const wav = decodeWav(bytes, name);
    const copy = encodeWav(resamplePoly(wav.channels[0]), 22050);
    versions.copy.push({ f: featurizer.featurize(copy, name + " (copy)"), emo });
  }
  const line = Object.entries(versions).map(([k, rows]) => {
    const voice = fitVoiceScaler(p, rows.map((r) => r.f));
    const ok = rows.filter((r) => {
      const q = predictClip(p, r.f, voice);
      return q.indexOf(Math.max(...q)) === r.emo;
    }).length;
    return `${k} ${(100 * ok / rows.length).toFixed(1)} %`;
  });
  console.log(`actor ${actor}: ${line.join(", ")}`);
}
