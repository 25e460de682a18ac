/**
 * `deno task bench train`: training speed of the default members' shapes and the seed network on
 * both engines and both GEMMs, PyTorch beside in the same run, GFLOP/s against each GEMM's peak,
 * and one network with and without the idle core's help. `bench.ts` runs it and writes
 * `results/bench/train.json`.
 */
import os from "node:os";
import type * as tf from "@tensorflow/tfjs";
import {
  DEFAULT_CONFIG,
  parseArgs,
  type RunConfig,
  TRAIN_ENGINES,
  type TrainEngine,
} from "../lib/config/config.ts";
import { projectPath } from "../lib/util/project.ts";
import { chooseGemm } from "../lib/model/blas_ffi.ts";
import type { Gemm, GemmMode } from "../lib/model/gemm.ts";
import { createWasmGemm } from "../lib/model/gemm_wasm.ts";
import { useTrainingBackend } from "../lib/model/backend.ts";
import { buildSeedModel, buildTemporalModel } from "../lib/model/networks.ts";
import { trainModel } from "../lib/model/train.ts";
import { compilePlan, stepFlops } from "../lib/model/static/plan.ts";
import {
  createHelperLink,
  createSplitGemm,
  helperAttached,
  releaseHelper,
} from "../lib/model/split_gemm.ts";
import { PROSODY_DIM } from "../lib/features/prosody.ts";
import { createRng } from "../lib/util/random.ts";

// PyTorch 1.13 CPU, one thread, batch 64, training step, from issue 16 (a 2-core AMD EPYC of
// the kind CI runs on): the fallback reference when this machine has no python3-torch.
const PYTORCH_1T_ISSUE: Record<string, number> = {
  temporal: 0.067,
  temporalMfccDelta: 0.072,
  seed: 0.33,
};

interface NetTiming {
  name: string;
  input: string;
  engine: TrainEngine;
  gemm: string;
  sPerBatch: number;
  sPerEpoch3600: number;
  gflopPerStep: number;
  gflops: number;
}

interface NetShape {
  name: string;
  rowShape: number[];
  build: () => tf.LayersModel;
}

/** The default ensemble's member shapes (as `memberInputs` gives them) and the seed network. */
function benchShapes(cfg: RunConfig): NetShape[] {
  const frames = 108;
  const dims: Record<string, number> = {
    logmel: cfg.features.sequenceMels,
    mfccDelta: 3 * cfg.features.nMfcc,
    mfccDeltaProsody: 3 * cfg.features.nMfcc + PROSODY_DIM,
  };
  const temporal = (name: string, d: number): NetShape => ({
    name,
    rowShape: [frames, d],
    build: () => buildTemporalModel(frames, d, 8, cfg.temporal, 1),
  });
  return [
    temporal("temporal", dims.logmel),
    temporal("temporalMfccDelta", dims.mfccDelta),
    temporal("temporalMfccDeltaProsody", dims.mfccDeltaProsody),
    { name: "seed", rowShape: [162, 1], build: () => buildSeedModel(162, 8, 1) },
  ];
}

/**
 * Seconds per batch of 64 through the real training loop (shuffling, dropout, Adam) on random
 * inputs of the real shapes, for one engine and GEMM: best of epochs 2-6 of 12 batches (the
 * first warms the JIT). One network on one thread, as the default trains (one network per core).
 */
async function timeNetworks(
  engine: TrainEngine,
  gemm: Gemm,
  shapes: NetShape[],
): Promise<NetTiming[]> {
  const cfg = DEFAULT_CONFIG;
  const backend = await useTrainingBackend(gemm);
  const rng = createRng(1);
  const rows = 64 * 12;
  const measure = async (shape: NetShape) => {
    const { rowShape } = shape;
    const size = rowShape[0] * rowShape[1];
    const data = {
      x: Float32Array.from({ length: rows * size }, () => rng.normal()),
      rowShape,
      labels: Int32Array.from({ length: rows }, () => rng.int(0, 8)),
      classes: 8,
    };
    const model = shape.build();
    const flops = stepFlops(compilePlan(model), 64);
    const history = await trainModel(model, data, { ...cfg.train, engine, epochs: 6 }, 1, {
      gemm: backend.product,
    });
    const sPerBatch = Math.min(...history.slice(1).map((h) => h.seconds)) / (rows / 64);
    model.dispose();
    return {
      name: shape.name,
      input: rowShape.join(" x "),
      engine,
      gemm: gemm.name,
      sPerBatch,
      sPerEpoch3600: (sPerBatch * 3600) / 64,
      gflopPerStep: flops / 1e9,
      gflops: flops / 1e9 / sPerBatch,
    };
  };
  try {
    // A throwaway first network: V8 compiles the kernels' loops over a process's first epochs,
    // which would otherwise count against whichever network is measured first.
    await measure(shapes[0]);
    const out: NetTiming[] = [];
    for (const shape of shapes) out.push(await measure(shape));
    return out;
  } finally {
    backend.restore();
  }
}

/**
 * The GEMM's own rate on a large square product (one thread): the most a training step could
 * reach with it, so each network's GFLOP/s reads as a fraction of the machine's limit.
 */
function gemmPeak(gemm: Gemm): number {
  const n = 768;
  const rng = createRng(3);
  const a = Float32Array.from({ length: n * n }, () => rng.normal());
  const b = Float32Array.from({ length: n * n }, () => rng.normal());
  const c = new Float32Array(n * n);
  let best = Infinity;
  for (let i = 0; i < 12; i++) {
    const t = performance.now();
    gemm.sgemm(false, false, n, n, n, a, b, c);
    best = Math.min(best, performance.now() - t);
  }
  return (2 * n ** 3) / (best / 1000) / 1e9;
}

/**
 * One network trained alone with the idle core lending a hand (`split_gemm.ts`: the second half
 * of each large product on a helper thread), against the same network on one thread, in
 * seconds per batch of the static engine.
 */
async function timeTwoThreads(gemm: Gemm, mode: GemmMode, shape: NetShape) {
  const link = createHelperLink();
  const worker = new Worker(new URL("./helper_worker.ts", import.meta.url), { type: "module" });
  const released = new Promise((resolve) => (worker.onmessage = resolve));
  worker.postMessage({ link, gemm: mode });
  const helped = createSplitGemm(gemm, link);
  const rng = createRng(2);
  const rows = 64 * 12;
  const size = shape.rowShape[0] * shape.rowShape[1];
  const data = {
    x: Float32Array.from({ length: rows * size }, () => rng.normal()),
    rowShape: shape.rowShape,
    labels: Int32Array.from({ length: rows }, () => rng.int(0, 8)),
    classes: 8,
  };
  const time = async (g: Gemm) => {
    const model = shape.build();
    const history = await trainModel(
      model,
      data,
      {
        ...DEFAULT_CONFIG.train,
        engine: "static",
        epochs: 6,
      },
      1,
      { gemm: g },
    );
    model.dispose();
    return Math.min(...history.slice(1).map((h) => h.seconds)) / (rows / 64);
  };
  try {
    while (!helperAttached(link)) await new Promise((r) => setTimeout(r, 10));
    const alone = await time(createSplitGemm(gemm));
    const withHelper = await time(helped);
    return { network: shape.name, oneThread: alone, twoThreads: withHelper };
  } finally {
    releaseHelper(link);
    await released;
    worker.terminate();
  }
}

/** Runs bench/pytorch_reference.py with Debian's Python when it has torch; null otherwise. */
async function pytorchReference(shapes: NetShape[]): Promise<Record<string, number> | null> {
  const script = projectPath("bench", "pytorch_reference.py");
  const args = shapes.map((
    s,
  ) => (s.name === "seed" ? "seed" : `${s.name}=${s.rowShape.join("x")}`));
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [script, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      console.log(
        `  (no PyTorch side-by-side: ${
          new TextDecoder().decode(out.stderr).trim().split("\n").pop()
        })`,
      );
      return null;
    }
    return JSON.parse(new TextDecoder().decode(out.stdout));
  } catch (err) {
    console.log(`  (no PyTorch side-by-side: ${(err as Error).message})`);
    return null;
  }
}

/**
 * Training speed of each default member's shape and the seed network, one thread per network:
 * both engines (static, tfjs) with the GEMM the config chooses and with the portable
 * WebAssembly one; PyTorch 1-thread figures on the same machine in the same run when Debian's
 * python3-torch is installed (the issue's figures otherwise); GFLOP per step and the GFLOP/s
 * achieved; and one network on two threads against one.
 */
export async function benchTrain(cfgArgs: string[]): Promise<Record<string, unknown>> {
  const cfg = parseArgs(cfgArgs, DEFAULT_CONFIG).config;
  const cpu = cpuModel();
  const chosen = chooseGemm(cfg.train.gemm, 1);
  const shapes = benchShapes(cfg);
  console.log(`\ntrain benchmark on ${cpu}; batch 64, one thread per network`);
  console.log(`  ${chosen.note}`);
  // This machine's neighbours come and go: PyTorch is timed before and after ours, and each side
  // keeps its least disturbed figure.
  const torchBefore = await pytorchReference(shapes);
  const wasmGemm = chosen.gemm.name.startsWith("wasm") ? null : createWasmGemm();
  const gemms: [Gemm, GemmMode][] = [[chosen.gemm, cfg.train.gemm]];
  if (wasmGemm) gemms.push([wasmGemm, "wasm"]);
  const timings: NetTiming[] = [];
  for (const [gemm] of gemms) {
    for (const engine of TRAIN_ENGINES) timings.push(...await timeNetworks(engine, gemm, shapes));
  }
  // Before and after the networks, as PyTorch is: the least disturbed figure is the peak.
  const peaks = Object.fromEntries(
    gemms.map(([g]) => [g.name, Math.max(gemmPeak(g), gemmPeak(g))]),
  );
  const torchAfter = torchBefore && await pytorchReference(shapes);
  const torch = torchBefore && torchAfter
    ? Object.fromEntries(
      Object.entries(torchBefore).map((
        [k, v],
      ) => [k, typeof v === "number" ? Math.min(v, torchAfter[k] as number) : v]),
    )
    : null;
  const reference: Record<string, number> = torch ?? PYTORCH_1T_ISSUE;
  const refLabel = torch
    ? `PyTorch ${torch.version ?? ""} 1 thread, this run`
    : "PyTorch 1.13 1 thread (issue 16, same CPU kind)";
  console.log(
    `  ${"network".padEnd(25)} ${"input".padEnd(9)} ${"engine".padEnd(6)} ${"gemm".padEnd(24)} ` +
      `s/batch  GFLOP  GFLOP/s  of peak  PyTorch s  speed vs PyTorch`,
  );
  for (const r of timings) {
    const ref = reference[r.name];
    console.log(
      `  ${r.name.padEnd(25)} ${r.input.padEnd(9)} ${r.engine.padEnd(6)} ${r.gemm.padEnd(24)} ` +
        `${r.sPerBatch.toFixed(3).padStart(7)} ${r.gflopPerStep.toFixed(2).padStart(6)} ` +
        `${r.gflops.toFixed(1).padStart(8)} ${
          (100 * r.gflops / peaks[r.gemm]).toFixed(0).padStart(6)
        } %  ` +
        (ref ? `${ref.toFixed(3).padStart(9)}  ${(ref / r.sPerBatch).toFixed(2)}x` : ""),
    );
  }
  console.log(`  (speed vs PyTorch: ${refLabel} seconds / ours; above 1 is faster)`);
  for (const [name, peak] of Object.entries(peaks)) {
    console.log(`  peak of ${name}: ${peak.toFixed(1)} GFLOP/s (768 x 768 x 768 product)`);
  }
  const lone = await timeTwoThreads(chosen.gemm, cfg.train.gemm, shapes[2]);
  console.log(
    `  one ${lone.network} network, static engine: ${lone.oneThread.toFixed(3)} s/batch on one ` +
      `thread, ${lone.twoThreads.toFixed(3)} with the idle core's help ` +
      `(${(lone.oneThread / lone.twoThreads).toFixed(2)}x)`,
  );
  const pick = (engine: TrainEngine, gemm: string) =>
    Object.fromEntries(
      timings.filter((t) => t.engine === engine && t.gemm === gemm).map((t) => [t.name, t]),
    );
  const engines = Object.fromEntries(
    TRAIN_ENGINES.map((
      e,
    ) => [e, Object.fromEntries(gemms.map(([g]) => [g.name, pick(e, g.name)]))]),
  );
  return {
    cpu,
    gemm: chosen.gemm.name,
    engine: "static",
    threadsPerNetwork: 1,
    batch: 64,
    // The default engine with the GEMM in use, at the top level, as earlier files had it.
    ...pick("static", chosen.gemm.name),
    wasm: {
      gemm: (wasmGemm ?? chosen.gemm).name,
      ...pick("static", (wasmGemm ?? chosen.gemm).name),
    },
    engines,
    twoThreads: lone,
    gemmPeakGflops: peaks,
    pytorch1Thread: { source: refLabel, sPerBatch: reference },
  };
}

/** The CPU's model name (timings mean nothing without it). */
function cpuModel(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model?.trim() || `${Deno.build.arch} ${Deno.build.os}`;
  return `${model} (${cpus.length || navigator.hardwareConcurrency} logical cores)`;
}
