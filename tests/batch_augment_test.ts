/**
 * Batch-level training augmentation: SpecAugment masks, label smoothing, mixup, class weights,
 * voice swaps.
 */
import { assert, assertAlmostEquals, assertEquals } from "./assert.ts";
import {
  classWeights,
  mixupRows,
  sampleBeta,
  smoothLabels,
  specAugmentRows,
  voiceColumnStats,
  voiceSwapRows,
} from "../lib/model/batch_augment.ts";
import { createRng } from "../lib/util/random.ts";

Deno.test("SpecAugment zeroes whole frame spans and band spans, and repeats with its seed", () => {
  const frames = 20, dims = 8, n = 3;
  const x = new Float32Array(n * frames * dims).fill(1);
  const cfg = { timeMasks: 1, timeWidth: 5, freqMasks: 1, freqWidth: 3 };
  specAugmentRows(x, n, frames, dims, cfg, createRng(1));
  const again = new Float32Array(n * frames * dims).fill(1);
  specAugmentRows(again, n, frames, dims, cfg, createRng(1));
  assertEquals(Array.from(x), Array.from(again));
  for (let r = 0; r < n; r++) {
    const row = x.subarray(r * frames * dims, (r + 1) * frames * dims);
    const zeroFrames = [...Array(frames).keys()].filter((t) =>
      row.subarray(t * dims, (t + 1) * dims).every((v) => v === 0)
    );
    const zeroBands = [...Array(dims).keys()].filter((d) =>
      [...Array(frames).keys()].every((t) => row[t * dims + d] === 0)
    );
    assert(zeroFrames.length <= 5 && zeroBands.length <= 3);
    // Every zero lies in a masked frame or a masked band.
    for (let t = 0; t < frames; t++) {
      for (let d = 0; d < dims; d++) {
        if (row[t * dims + d] === 0) assert(zeroFrames.includes(t) || zeroBands.includes(d));
      }
    }
  }
  assert(x.some((v) => v === 0), "some mask should have non-zero width with this seed");
});

Deno.test("label smoothing moves epsilon of each target row evenly over the classes", () => {
  const y = Float32Array.from([0, 1, 0, 0, 1, 0, 0, 0]);
  smoothLabels(y, 4, 0.2);
  assertEquals(Array.from(y).map((v) => +v.toFixed(6)), [
    0.05,
    0.85,
    0.05,
    0.05,
    0.85,
    0.05,
    0.05,
    0.05,
  ]);
  for (let r = 0; r < 2; r++) {
    assertAlmostEquals(y.subarray(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0), 1, 1e-6);
  }
});

Deno.test("mixup blends rows and targets with one weight, keeping each row mostly itself", () => {
  const n = 6, size = 4, classes = 3;
  const x = Float32Array.from({ length: n * size }, (_, i) => Math.floor(i / size));
  const y = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) y[i * classes + (i % classes)] = 1;
  const lambda = mixupRows(x, y, n, classes, 0.4, createRng(3));
  assert(lambda >= 0.5 && lambda <= 1, `lambda ${lambda}`);
  for (let i = 0; i < n; i++) {
    const targets = y.subarray(i * classes, (i + 1) * classes);
    assertAlmostEquals(targets.reduce((a, b) => a + b, 0), 1, 1e-6);
    assert(targets[i % classes] >= lambda - 1e-6, "a row's own class keeps at least lambda");
  }
  assertEquals(mixupRows(x, y, n, classes, 0, createRng(3)), 1, "alpha 0 is off");
  const draws = Array.from({ length: 2000 }, (_, i) => sampleBeta(2, createRng(i)));
  assertAlmostEquals(draws.reduce((a, b) => a + b, 0) / draws.length, 0.5, 0.02);
});

Deno.test("class weights give a class with half the rows twice the weight", () => {
  const labels = Int32Array.from([0, 1, 1, 2, 2]);
  const w = classWeights(labels, 4);
  assertAlmostEquals(w[0] / w[1], 2, 1e-6);
  assertAlmostEquals(w[1], 5 / (4 * 2), 1e-6);
  assertEquals(w[3], 0, "a class with no rows");
});

Deno.test("a voice swap gives a row another speaker's level and spread, keeping its course over time", () => {
  const frames = 6, dims = 2;
  // Speaker 0 around (0, 10) with spread 1, speaker 1 around (5, -3) with spread 2.
  const rowOf = (center: number[], spread: number, seed: number) => {
    const rng = createRng(seed);
    return Array.from(
      { length: frames * dims },
      (_, i) => center[i % dims] + spread * rng.normal(),
    );
  };
  const rows = [
    rowOf([0, 10], 1, 1),
    rowOf([0, 10], 1, 2),
    rowOf([5, -3], 2, 3),
    rowOf([5, -3], 2, 4),
  ];
  const x = Float32Array.from(rows.flat());
  const speakers = Int32Array.from([0, 0, 1, 1]);
  const stats = voiceColumnStats(x, speakers, 2, frames, dims);
  assertAlmostEquals(stats[1].mean[0], 5, 1.5);
  assertAlmostEquals(stats[0].mean[1], 10, 1);
  const swapped = x.slice();
  voiceSwapRows(swapped, speakers, 4, frames, dims, stats, 1, createRng(7));
  // Two speakers: each row takes the other's voice, its z-scores unchanged.
  for (let r = 0; r < 4; r++) {
    const [from, to] = [speakers[r], 1 - speakers[r]];
    for (let t = 0; t < frames; t++) {
      for (let c = 0; c < dims; c++) {
        const i = (r * frames + t) * dims + c;
        const z = (x[i] - stats[from].mean[c]) / stats[from].scale[c];
        assertAlmostEquals(swapped[i], z * stats[to].scale[c] + stats[to].mean[c], 1e-4);
      }
    }
  }
  // No share, or a single speaker: nothing moves; the same seed swaps the same rows.
  const kept = x.slice();
  voiceSwapRows(kept, speakers, 4, frames, dims, stats, 0, createRng(7));
  assertEquals(Array.from(kept), Array.from(x));
  const half = x.slice();
  voiceSwapRows(half, speakers, 4, frames, dims, stats, 0.5, createRng(8));
  const again = x.slice();
  voiceSwapRows(again, speakers, 4, frames, dims, stats, 0.5, createRng(8));
  assertEquals(Array.from(half), Array.from(again));
});
