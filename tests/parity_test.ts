/**
 * Parity with librosa 0.9.2 on every fixture of `../shared/reference/librosa`.
 *
 * Tolerances, and why:
 * - resampler (48 kHz -> 22.05 kHz) SNR >= 100 dB against librosa's samples: both evaluate the
 *   same filter in double precision and store float32, whose own rounding floor is ~140 dB;
 *   100 dB leaves room for summation order while any filter-design difference (another
 *   window, cutoff or tap count) lands below 60 dB.
 * - ZCR: exact up to 1e-7 (it counts integers).
 * - RMS, mel: max |error| <= 1e-5 x the matrix's largest value; librosa computes in float32
 *   (complex64 STFT, float32 filters), so relative agreement near 1e-6 of full scale is the most
 *   that can be asked.
 * - MFCC: max |error| <= 0.01 (dB-scaled cepstra reach +-800; float32 log rounding gives ~1e-4).
 * - chroma: max |error| <= 1e-4 (values in [0, 1]); this also proves the tuning estimate agrees,
 *   since a 0.01-semitone tuning difference moves chroma by ~1e-3.
 * - 162-vector: each value within 1e-4 relative (floor 1e-6 absolute).
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { reference, REFERENCE_DIR, referenceIndex, requires } from "./fixtures.ts";
import { createFeatureExtractor } from "../lib/features/extract.ts";
import { DEFAULT_CONFIG } from "../lib/config/config.ts";
import { resample } from "../lib/audio/resample.ts";
import { createClipFeaturizer } from "../lib/features/clip.ts";
import { snrDb } from "../lib/augment/noise.ts";

const index = referenceIndex();
const ignore = requires("reference");
const extractor = createFeatureExtractor(
  DEFAULT_CONFIG.features,
  22050,
  DEFAULT_CONFIG.audio.durationS,
);
const worst: Record<string, { error: number; fixture: string }> = {};

function note(kind: string, fixture: string, error: number) {
  if (!worst[kind] || error > worst[kind].error) worst[kind] = { error, fixture };
}

function maxAbsError(
  ours: ArrayLike<number>,
  ref: ArrayLike<number>,
): { err: number; scale: number } {
  assertEquals(ours.length, ref.length, "length");
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(ours[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return { err, scale };
}

/** Largest per-value relative error of a clip vector (values under 1e-6 compared absolutely). */
function vectorRelError(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    worst = Math.max(worst, Math.abs(ours[i] - ref[i]) / Math.max(Math.abs(ref[i]), 1e-6));
  }
  return worst;
}

for (const [name, spec] of Object.entries(index.fixtures)) {
  Deno.test({
    name: `parity: ${name}: ZCR, RMS, mel, MFCC, chroma and the 162-vector match librosa`,
    ignore,
    fn: async () => {
      const y = await reference(`${name}.y`);
      const f = extractor.extract(y);
      const zcr = maxAbsError(f.frames.zcr, await reference(`${name}.zcr`));
      note("zcr abs", name, zcr.err);
      assert(zcr.err <= 1e-7, `zcr error ${zcr.err}`);
      for (const k of ["rms", "mel"] as const) {
        const { err, scale } = maxAbsError(f.frames[k], await reference(`${name}.${k}`));
        const rel = scale === 0 ? err : err / scale;
        note(`${k} err/max`, name, rel);
        assert(rel <= 1e-5, `${k}: max error ${err} vs largest value ${scale}`);
      }
      const mfcc = maxAbsError(f.frames.mfcc, await reference(`${name}.mfcc`));
      note("mfcc abs", name, mfcc.err);
      assert(mfcc.err <= 0.01, `mfcc error ${mfcc.err}`);
      const chroma = maxAbsError(f.frames.chroma, await reference(`${name}.chroma`));
      note("chroma abs", name, chroma.err);
      assert(chroma.err <= 1e-4, `chroma error ${chroma.err}`);
      const vecRel = vectorRelError(f.vector, await reference(`${name}.vector162`));
      note("vector162 rel", name, vecRel);
      assert(vecRel <= 1e-4, `162-vector relative error ${vecRel}`);
    },
  });

  if (spec.native) {
    Deno.test({
      name: `parity: ${name}: resampling 48 kHz -> 22.05 kHz matches librosa's kaiser_best`,
      ignore,
      fn: async () => {
        const native = await reference(`${name}.native`);
        const y = await reference(`${name}.y`);
        const ours = resample(native, spec.native_sr!, 22050, "kaiser_best");
        assertEquals(ours.length, y.length);
        const snr = snrDb(y, ours);
        note("resample SNR dB (lowest)", name, -snr);
        assert(snr >= 100, `SNR ${snr.toFixed(1)} dB`);
      },
    });
  }

  if (spec.source) {
    Deno.test({
      name: `parity: ${name}: from the WAV file to the 162-vector, as librosa.load + features`,
      ignore: ignore || requires("corpus"),
      fn: async () => {
        const path = join(REFERENCE_DIR, "..", "..", spec.source!);
        const featurizer = createClipFeaturizer(DEFAULT_CONFIG.audio, DEFAULT_CONFIG.features);
        const f = featurizer.featurize(await Deno.readFile(path), path);
        const y = await reference(`${name}.y`);
        const snr = snrDb(y, f.samples);
        assert(snr >= 100, `loaded samples SNR ${snr.toFixed(1)} dB`);
        const vecRel = vectorRelError(f.vector, await reference(`${name}.vector162`));
        note("file->vector162 rel", name, vecRel);
        assert(vecRel <= 1e-4, `162-vector relative error ${vecRel}`);
      },
    });
  }
}

Deno.test({
  name: "parity: worst errors over all fixtures (printed for the record)",
  ignore,
  fn: () => {
    assert(Object.keys(worst).length > 0, "the parity tests above ran");
    for (const [k, v] of Object.entries(worst)) {
      const value = k.startsWith("resample")
        ? `${(-v.error).toFixed(1)}`
        : v.error.toExponential(2);
      console.log(`  ${k.padEnd(26)} ${value.padStart(10)}  (${v.fixture})`);
    }
  },
});
