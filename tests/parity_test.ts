/**
 * Parity with librosa 0.9.2 on every fixture of `../shared/reference/librosa`. The feature
 * tolerances, and why they are what they are, are in `lib/features/parity.ts`. The resampler
 * (48 kHz -> 22.05 kHz) must reach SNR >= 100 dB against librosa's samples: both evaluate the
 * same filter in double precision and store float32, whose own rounding floor is ~140 dB; 100 dB
 * leaves room for summation order while any filter-design difference (another window, cutoff or
 * tap count) lands below 60 dB.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { reference, REFERENCE_DIR, referenceIndex, requires } from "./fixtures.ts";
import { createFeatureExtractor } from "../lib/features/extract.ts";
import { DEFAULT_CONFIG } from "../lib/config/config.ts";
import { resample } from "../lib/audio/resample.ts";
import { createClipFeaturizer } from "../lib/features/clip.ts";
import { snrDb } from "../lib/augment/noise.ts";
import {
  compareWithReference,
  PARITY_TOLERANCES,
  parityFailures,
  vectorRelError,
} from "../lib/features/parity.ts";
import { readReferenceFeatures } from "../lib/features/reference_fs.ts";

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

for (const [name, spec] of Object.entries(index.fixtures)) {
  Deno.test({
    name: `parity: ${name}: ZCR, RMS, mel, MFCC, chroma and the 162-vector match librosa`,
    ignore,
    fn: async () => {
      const errors = compareWithReference(
        extractor,
        await readReferenceFeatures(REFERENCE_DIR, name),
      );
      for (const [k, v] of Object.entries(errors)) note(k, name, v);
      assertEquals(parityFailures(errors), [], `within ${JSON.stringify(PARITY_TOLERANCES)}`);
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
        assert(vecRel <= PARITY_TOLERANCES.vectorRel, `162-vector relative error ${vecRel}`);
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
