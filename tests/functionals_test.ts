/**
 * Per-clip functionals and the linear model fitted on them: a clip summarised column by column,
 * standardised within its speaker, and classified by softmax regression.
 */
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import { allocateRows } from "../lib/features/rows.ts";
import { PROSODY_DIM } from "../lib/features/prosody.ts";
import {
  clipFunctionals,
  FUNCTIONALS,
  functionalsCount,
  functionalsCountOf,
  functionalsLayout,
  inputFunctionals,
  LEGACY_FUNCTIONALS,
  parseFunctionalsLayout,
  summarise,
  zScoreByGroup,
} from "../lib/features/functionals.ts";
import { fitSoftmax, predictSoftmax } from "../lib/model/softmax_regression.ts";
import {
  blendWithLinear,
  fitLinearMember,
  linearMemberJson,
  parseLinearMember,
  scoreLinearMember,
} from "../lib/model/linear_member.ts";

Deno.test("a column summarised: mean, spread, percentiles as numpy takes them, slope per frame", () => {
  const out = new Float64Array(LEGACY_FUNCTIONALS.length);
  summarise(Float64Array.from({ length: 10 }, (_, i) => 2 * i), out, 0, LEGACY_FUNCTIONALS);
  const [mean, std, p10, p50, p90, slope] = out;
  assertAlmostEquals(mean, 9, 1e-12);
  assertAlmostEquals(std, 2 * Math.sqrt(8.25), 1e-12);
  assertAlmostEquals(p10, 1.8, 1e-12);
  assertAlmostEquals(p50, 9, 1e-12);
  assertAlmostEquals(p90, 16.2, 1e-12);
  assertAlmostEquals(slope, 2, 1e-12, "rises 2 per frame");
  summarise(new Float64Array(0), out, 0, LEGACY_FUNCTIONALS);
  assert(out.every(Number.isNaN), "an empty column has no statistics");
});

Deno.test("a column's shape, contour and movement: extremes, moments, curvature, deltas", () => {
  const out = new Float64Array(FUNCTIONALS.length);
  const at = (name: string) => out[FUNCTIONALS.indexOf(name as (typeof FUNCTIONALS)[number])];
  // i² for i = 0..4: a parabola of curvature 1 rising 4 per frame at its middle.
  summarise(Float64Array.from([0, 1, 4, 9, 16]), out, 0);
  assertEquals([at("min"), at("p25"), at("p50"), at("p75"), at("max")], [0, 1, 4, 9, 16]);
  assertAlmostEquals(at("slope"), 4, 1e-12);
  assertAlmostEquals(at("curvature"), 1, 1e-12);
  // Deviations from the mean 6: -6, -5, -2, 3, 10 (numpy/scipy's biased moments).
  assertAlmostEquals(at("skew"), 135.6 / 34.8 ** 1.5, 1e-12);
  assertAlmostEquals(at("kurtosis"), 2403.6 / 34.8 ** 2, 1e-12);
  // Steps 1, 3, 5, 7.
  assertAlmostEquals(at("deltaAbsMean"), 4, 1e-12);
  assertAlmostEquals(at("deltaStd"), Math.sqrt(5), 1e-12);
  summarise(Float64Array.from([2, 2, 2]), out, 0);
  assertEquals([at("std"), at("skew"), at("kurtosis"), at("curvature")], [0, 0, 0, 0]);
  summarise(Float64Array.from([3]), out, 0);
  assertEquals([at("deltaStd"), at("deltaAbsMean"), at("slope")], [0, 0, 0], "one value");
  // Any subset, in the order asked for.
  const two = new Float64Array(2);
  summarise(Float64Array.from([1, 2, 4]), two, 0, ["max", "deltaAbsMean"]);
  assertEquals([...two], [4, 1.5]);
});

Deno.test("a stored layout names its statistics; one written before they did reads as legacy", () => {
  const layout = functionalsLayout(4, 3, null, ["mean", "deltaStd"]);
  assertEquals(functionalsCountOf(layout), 6);
  assertEquals(parseFunctionalsLayout(JSON.parse(JSON.stringify(layout)), "l.json"), layout);
  const { statistics: _, ...old } = layout;
  assertEquals(parseFunctionalsLayout(old, "old.json").statistics, LEGACY_FUNCTIONALS);
  assertThrows(
    () => parseFunctionalsLayout({ ...layout, statistics: ["mean", "median"] }, "bad.json"),
    Error,
    `bad.json: unknown statistic "median"`,
  );
  assertThrows(() => functionalsLayout(4, 3, null, ["std", "std"]), Error, "named twice");
  assertThrows(() => parseFunctionalsLayout({ frames: 4 }, "c.json"), Error, "c.json: damaged");
});

Deno.test("a clip's functionals skip its padding, and its pitch columns skip unvoiced frames", () => {
  const dims = { vector: 3, frames: 8, logmel: 2, mfccDelta: 1, prosody: PROSODY_DIM };
  const rows = allocateRows(2, dims);
  rows.vectors.set([1, 2, 3], 0);
  rows.validFrames.set([6, 4]);
  for (let t = 0; t < 8; t++) {
    rows.logmel[t * 2] = t < 6 ? 5 : 999; // frames past validFrames are padding
    rows.logmel[t * 2 + 1] = t;
    const p = t * PROSODY_DIM;
    rows.prosody[p + 2] = t % 2; // voiced on odd frames
    rows.prosody[p + 0] = t % 2 ? 30 : 0; // f0 is 0 where unvoiced
    rows.prosody[p + 4] = -20; // loudness counts everywhere
  }
  const f = clipFunctionals(rows, 0);
  assertEquals(f.length, functionalsCount(dims));
  assertEquals(f.length, 3 + (2 + 1 + PROSODY_DIM) * FUNCTIONALS.length);
  assertEquals([...f.subarray(0, 3)], [1, 2, 3], "the clip vector comes first");
  const k = FUNCTIONALS.length;
  assertEquals(f[3], 5, "mean of the first log-mel band over 6 valid frames");
  assertEquals(f[3 + 1], 0, "no spread: the padding's 999 is not read");
  const slope = FUNCTIONALS.indexOf("slope");
  assertAlmostEquals(f[3 + k + slope], 1, 1e-12, "the second band rises one per frame");
  const f0At = 3 + 3 * k;
  assertEquals(f[f0At], 30, "pitch averaged over voiced frames only");
  assertEquals(f[f0At + 1], 0);
  assertEquals(f[f0At + 4 * k], -20, "loudness over every frame");
  // Row 1 has no voiced frame among its 4 valid ones: its pitch summarises as 0s, as
  // unvoiced frames hold.
  assertEquals(clipFunctionals(rows, 1)[f0At], 0);
});

Deno.test("functionals standardised within each speaker, from the rows asked for", () => {
  const x = [[1, 5], [3, 5], [NaN, 5], [10, 0], [20, 0], [15, 7]].map((r) => Float64Array.from(r));
  // Speaker 1: rows 0-2; speaker 2: rows 3-5, whose statistics come from rows 3 and 4 only.
  zScoreByGroup(x, [1, 1, 1, 2, 2, 2], (i) => i !== 5);
  assertEquals([...x[0]], [-1, 0]);
  assertEquals([...x[1]], [1, 0], "a column constant in a speaker becomes 0");
  assertEquals([...x[2]], [0, 0], "a missing value becomes the speaker's mean");
  assertEquals([x[3][0], x[4][0], x[5][0]], [-1, 1, 0]);
  assertEquals(x[5][1], 0, "speaker 2's second column is constant over the fitted rows");
});

Deno.test("softmax regression separates three clusters, deterministically", () => {
  const centres = [[3, 0], [-3, 0], [0, 3]];
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 60; i++) {
    const c = i % 3;
    // A fixed spread around each centre (no random generator needed).
    x.push([centres[c][0] + Math.sin(i) * 0.8, centres[c][1] + Math.cos(3 * i) * 0.8]);
    y.push(c);
  }
  const model = fitSoftmax(x, y, 3, { lambda: 1e-3, iterations: 300, learningRate: 0.05 });
  const p = predictSoftmax(model, x);
  p.forEach((row, i) => {
    assertAlmostEquals(row.reduce((a, b) => a + b, 0), 1, 1e-9);
    assertEquals(row.indexOf(Math.max(...row)), y[i], `row ${i}`);
  });
  const again = fitSoftmax(x, y, 3, { lambda: 1e-3, iterations: 300, learningRate: 0.05 });
  assertEquals([...again.weights], [...model.weights], "the same data fits the same weights");
  // A larger penalty shrinks the weights.
  const shrunk = fitSoftmax(x, y, 3, { lambda: 1, iterations: 300, learningRate: 0.05 });
  const norm = (w: Float64Array) => w.reduce((a, b) => a + b * b, 0);
  assert(norm(shrunk.weights) < norm(model.weights));
});

Deno.test("softmax regression names what is wrong with its input", () => {
  assertThrows(() => fitSoftmax([[1], [2]], [0, 3], 3), Error, "label 3");
  assertThrows(() => fitSoftmax([[1], [2]], [0], 3), Error, "2 rows and 1 labels");
  const m = fitSoftmax([[1], [2]], [0, 1], 2, { iterations: 5 });
  assertThrows(() => predictSoftmax(m, [[1, 2]]), Error, "a row of 2 values, the model takes 1");
});

Deno.test("the linear member summarises model-input frames, pitch over voiced frames only", () => {
  // Two frames wide plus prosody: columns 0-1 spectral, 2.. prosody (voiced flag at 2 + 2).
  const width = 2 + PROSODY_DIM;
  const layout = functionalsLayout(4, width, 2);
  assertEquals(layout.voicedColumn, 4);
  assertEquals(functionalsCountOf(layout), width * FUNCTIONALS.length);
  const x = new Float32Array(2 * 4 * width);
  for (let t = 0; t < 4; t++) {
    x[t * width] = t; // row 0, column 0 rises 0..3
    x[t * width + 2] = t < 2 ? 0 : 40; // f0: voiced in the last two frames only
    x[t * width + 4] = t < 2 ? 0 : 1;
  }
  const f = inputFunctionals(x, 2, layout);
  const k = FUNCTIONALS.length;
  assertEquals(f[0], 1.5, "mean of column 0");
  assertEquals(f[FUNCTIONALS.indexOf("slope")], 1, "slope of column 0");
  assertEquals(f[2 * k], 40, "pitch's mean over the voiced frames");
  // Row 1 is silent: nothing voiced, so its pitch summarises as 0s, not NaN.
  const row1 = f.subarray(width * k);
  assert(row1.every((v) => v === 0));
  assertThrows(() => inputFunctionals(x, 3, layout), Error, `are not 3 rows of 4x${width}`);
  assertThrows(() => functionalsLayout(4, 8, 2), Error, "does not fit 8 columns");
});

Deno.test("a linear member fitted, blended with networks, written and read back", () => {
  const layout = functionalsLayout(3, 2, null);
  const dim = functionalsCountOf(layout);
  // Class 1's rows have larger values in their first functional.
  const rows = 40;
  const x = new Float32Array(rows * dim);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    y[i] = i % 2;
    for (let j = 0; j < dim; j++) x[i * dim + j] = Math.sin(i * 7 + j) + (j === 0 ? 3 * y[i] : 0);
  }
  const m = fitLinearMember(x, y, 2, { layout, weight: 0.25, lambda: 0.01, perVoice: true });
  const p = scoreLinearMember(m, x);
  for (let i = 0; i < rows; i++) assertEquals(p[2 * i + 1] > 0.5 ? 1 : 0, y[i], `row ${i}`);
  const back = parseLinearMember(JSON.parse(JSON.stringify(linearMemberJson(m))), "linear.json");
  assertEquals([...scoreLinearMember(back, x)], [...p], "the file gives the same probabilities");
  assertEquals(back.perVoice, true);
  // (1 - w) networks + w linear.
  const mixed = blendWithLinear(Float32Array.from([1, 0]), Float32Array.from([0, 1]), 0.25);
  assertEquals([...mixed], [0.75, 0.25]);
  const damaged = { ...(linearMemberJson(m) as object), bias: [0] };
  assertThrows(() => parseLinearMember(damaged, "x/linear.json"), Error, "x/linear.json: damaged");
  assertThrows(() => parseLinearMember({ kind: "tfjs" }, "y.json"), Error, "y.json: not a linear");
});
