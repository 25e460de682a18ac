/**
 * ONNX export: each member's model.onnx, run by ONNX Runtime (the npm `onnxruntime-node`, a
 * test-only dependency), gives the tfjs model's probabilities within 1e-4 on real inputs (voices
 * featurized as training does); the frame network with mean+max or attention pooling and the
 * classic seed network; Debian's `onnx.checker` accepts every file where python3-onnx is installed.
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import { assert, assertEquals } from "./assert.ts";
import { DEFAULT_CONFIG, withOverrides } from "../lib/config/config.ts";
import { exportRun } from "../lib/cli/export.ts";
import { exportLinearOnnx, exportOnnx } from "../lib/model/onnx.ts";
import { fitLinearMember, scoreLinearMember } from "../lib/model/linear_member.ts";
import { functionalsCountOf, functionalsLayout } from "../lib/features/functionals.ts";
import { loadPredictor } from "../lib/run/store.ts";
import { loadModel, saveModel } from "../lib/model/io_fs.ts";
import { applyScaler, fitScaler } from "../lib/normalise/scaler.ts";
import { inputOf, selectChannels } from "../lib/schema/inputs.ts";
import { createClipFeaturizer } from "../lib/features/clip.ts";
import { predictProbabilities } from "../lib/model/train.ts";
import { buildSeedModel, buildTemporalModel } from "../lib/model/networks.ts";
import { useTrainingBackend } from "../lib/model/backend.ts";
import { jsGemm } from "../lib/model/gemm.ts";
import { encodeWav } from "../lib/audio/wav.ts";
import { voice, writeSyntheticRun } from "./synthetic_run.ts";

const HAVE_ONNX_PY = (await new Deno.Command("/usr/bin/python3", {
  args: ["-c", "import onnx"],
  stdout: "null",
  stderr: "null",
}).output().catch(() => ({ success: false }))).success;
if (!HAVE_ONNX_PY) {
  console.warn("onnx.checker check skipped: no python3-onnx (apt-get install python3-onnx)");
}

/**
 * Every weight drawn afresh, small enough that the softmax does not saturate; batch-norm scales
 * and variances around 1, so every op matters and every clip gets its own answer.
 */
function randomize(model: tf.LayersModel, seed: number): void {
  for (const layer of model.layers) {
    const bn = layer.getClassName() === "BatchNormalization";
    layer.setWeights(
      layer.getWeights().map((w, k) =>
        tf.tidy(() =>
          bn && (k === 0 || k === 3)
            ? tf.randomUniform(w.shape, 0.5, 1.5, "float32", seed * 31 + k)
            : tf.randomUniform(w.shape, -0.4, 0.4, "float32", seed * 31 + k)
        )
      ),
    );
  }
}

async function runOnnx(bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ input: new ort.Tensor("float32", x, dims) });
  return out.probs.data as Float32Array;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

Deno.test({
  name: "a run's ONNX export gives tfjs's probabilities within 1e-4 on real inputs",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    try {
      await useTrainingBackend(jsGemm);
      const config = withOverrides(DEFAULT_CONFIG, { "eval.speakerNorm": "none" });
      const runId = await writeSyntheticRun(join(tmp, "results"), config);
      const runDir = join(tmp, "results", runId);
      // Real inputs: voices of four pitches, featurized as training featurizes a clip.
      const featurizer = createClipFeaturizer(config.audio, config.features);
      const rows = [110, 150, 200, 260].map((pitch) =>
        inputOf(
          featurizer.featurize(encodeWav(voice(3, 22050, 0.3, pitch), 22050), "v.wav"),
          "logmelMfccDelta",
        )
      );
      const n = rows.length;
      // The synthetic run's input: 108 frames of log-mel (40) and MFCC + deltas (60).
      const [frames, width] = [108, rows[0].length / 108];
      const x = new Float32Array(n * frames * width);
      rows.forEach((r, i) => x.set(r, i * frames * width));
      // Weights and batch-norm statistics away from their initial values, so every op matters.
      for (const name of ["fold-1-2", "fold-3-4", "fold-3-4-m2"]) {
        const dir = join(runDir, "models", name);
        const model = await loadModel(dir);
        randomize(model, name.length);
        // Statistics of these inputs, so the network sees values of a sensible size.
        await Deno.writeTextFile(join(dir, "scaler.json"), JSON.stringify(fitScaler(x, width)));
        await saveModel(model, dir);
        model.dispose();
      }
      const files = await exportRun(runDir);
      assertEquals(files.length, 4, "three members and ensemble.json");
      const ensemble = JSON.parse(await Deno.readTextFile(join(runDir, "onnx", "ensemble.json")));
      assertEquals(ensemble.labels.length, 8);
      const { predictor } = await loadPredictor(runDir);
      for (const [i, m] of predictor.members.entries()) {
        const channels = m.channels ?? [0, width];
        const scaled = selectChannels(applyScaler(m.scaler, x), width, channels);
        const want = predictProbabilities(m.model, scaled, [frames, channels[1] - channels[0]], n);
        const bytes = await Deno.readFile(files[i]);
        const got = await runOnnx(bytes, x, [n, frames, width]);
        assert(maxDiff(got, want) < 1e-4, `${m.name}: ${maxDiff(got, want)}`);
        // Not a vacuous match: the clips get different answers.
        assert(maxDiff(want.subarray(0, 8), want.subarray(8, 16)) > 1e-3, `${m.name}: flat output`);
      }
      if (HAVE_ONNX_PY) {
        const check = await new Deno.Command("/usr/bin/python3", {
          args: [
            "-c",
            "import onnx,sys\nfor p in sys.argv[1:]: onnx.checker.check_model(onnx.load(p))",
            ...files.slice(0, 3),
          ],
          stderr: "piped",
        }).output();
        assert(check.success, new TextDecoder().decode(check.stderr));
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "ONNX: attention and std pooling, dilated and squeeze-excitation blocks and the classic seed network export too",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await useTrainingBackend(jsGemm);
    const frames = 20, width = 6, n = 3;
    const x = Float32Array.from({ length: n * frames * width }, (_, i) => Math.sin(i * 0.37) * 3);
    const attention = buildTemporalModel(frames, width, 5, {
      filters: [8, 8],
      kernelSize: 3,
      dropout: 0,
      denseUnits: 8,
      pooling: "meanMaxAttention",
    }, 7);
    // Non-zero attention weights and batch-norm statistics, so every op matters.
    randomize(attention, 11);
    const scaler = fitScaler(x, width);
    const want = predictProbabilities(attention, applyScaler(scaler, x), [frames, width], n);
    const got = await runOnnx(
      exportOnnx(
        { model: attention, scaler, channels: [0, width], rowShape: [frames, width] },
        "a",
      ),
      x,
      [n, frames, width],
    );
    assert(maxDiff(got, want) < 1e-4, `attention: ${maxDiff(got, want)}`);
    const std = buildTemporalModel(frames, width, 5, {
      filters: [8, 8],
      kernelSize: 3,
      dropout: 0,
      denseUnits: 8,
      pooling: "meanMaxStd",
    }, 9);
    randomize(std, 13);
    const stdWant = predictProbabilities(std, applyScaler(scaler, x), [frames, width], n);
    const stdGot = await runOnnx(
      exportOnnx({ model: std, scaler, channels: [0, width], rowShape: [frames, width] }, "s"),
      x,
      [n, frames, width],
    );
    assert(maxDiff(stdGot, stdWant) < 1e-4, `std pooling: ${maxDiff(stdGot, stdWant)}`);
    std.dispose();
    // Taps 2 and 3 frames apart: ONNX's `dilations`, padded for the taps' span as tfjs pads.
    const dilated = buildTemporalModel(frames, width, 5, {
      filters: [8, 8],
      kernelSize: 3,
      dilations: [2, 3],
      dropout: 0,
      denseUnits: 8,
      pooling: "meanMax",
    }, 5);
    randomize(dilated, 17);
    const dWant = predictProbabilities(dilated, applyScaler(scaler, x), [frames, width], n);
    const dGot = await runOnnx(
      exportOnnx({ model: dilated, scaler, channels: [0, width], rowShape: [frames, width] }, "d"),
      x,
      [n, frames, width],
    );
    assert(maxDiff(dGot, dWant) < 1e-4, `dilated: ${maxDiff(dGot, dWant)}`);
    dilated.dispose();
    // Squeeze-excitation: ReduceMean, two Gemms, Sigmoid, and the gate broadcast by Mul.
    const squeezed = buildTemporalModel(frames, width, 5, {
      filters: [8, 8],
      kernelSize: 3,
      squeezeExcite: 4,
      dropout: 0,
      denseUnits: 8,
      pooling: "meanMax",
    }, 6);
    randomize(squeezed, 19);
    const sWant = predictProbabilities(squeezed, applyScaler(scaler, x), [frames, width], n);
    const sGot = await runOnnx(
      exportOnnx({ model: squeezed, scaler, channels: [0, width], rowShape: [frames, width] }, "q"),
      x,
      [n, frames, width],
    );
    assert(maxDiff(sGot, sWant) < 1e-4, `squeeze-excitation: ${maxDiff(sGot, sWant)}`);
    squeezed.dispose();
    const seed = buildSeedModel(162, 8, 3);
    const v = Float32Array.from({ length: n * 162 }, (_, i) => Math.cos(i * 0.11));
    const vs = fitScaler(v, 162);
    const seedWant = predictProbabilities(seed, applyScaler(vs, v), [162, 1], n);
    const seedGot = await runOnnx(
      exportOnnx({ model: seed, scaler: vs, channels: [0, 1], rowShape: [162, 1] }, "seed"),
      v,
      [n, 162, 1],
    );
    assert(maxDiff(seedGot, seedWant) < 1e-4, `seed: ${maxDiff(seedGot, seedWant)}`);
    attention.dispose();
    seed.dispose();
  },
});

Deno.test({
  name: "a linear member's ONNX export gives its probabilities from the same functionals",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const layout = functionalsLayout(5, 3, null);
    const dim = functionalsCountOf(layout);
    const rows = 30;
    const f = Float32Array.from({ length: rows * dim }, (_, i) => Math.sin(i * 1.7) * (1 + i % 7));
    const y = Int32Array.from({ length: rows }, (_, i) => i % 4);
    const m = fitLinearMember(f, y, 4, { layout, weight: 0.25, lambda: 0.01, perVoice: false });
    const want = scoreLinearMember(m, f);
    const bytes = exportLinearOnnx(m, "fold-1-2-linear");
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ functionals: new ort.Tensor("float32", f, [rows, dim]) });
    const got = out.probs.data as Float32Array;
    assert(maxDiff(got, want) < 1e-5, `linear member: ${maxDiff(got, want)}`);
    assert(maxDiff(want.subarray(0, 4), want.subarray(4, 8)) > 1e-3, "rows get different answers");
    if (HAVE_ONNX_PY) {
      const tmp = await Deno.makeTempFile({ suffix: ".onnx" });
      await Deno.writeFile(tmp, bytes);
      const check = await new Deno.Command("/usr/bin/python3", {
        args: ["-c", "import onnx,sys\nonnx.checker.check_model(onnx.load(sys.argv[1]))", tmp],
        stderr: "piped",
      }).output();
      await Deno.remove(tmp);
      assert(check.success, new TextDecoder().decode(check.stderr));
    }
  },
});
