/**
 * The two networks. Both are plain tfjs layers models, so they save to and load from the tfjs
 * layers format (`model.json` + weights) and run in a browser unchanged.
 */
import * as tf from "@tensorflow/tfjs";
import { AttentionPooling1D } from "./attention_pool.ts";
import { StdPooling1D } from "./std_pool.ts";
import { SqueezeExcite1D } from "./squeeze_excite.ts";

export type ModelKind = "seed" | "temporal";

export interface TemporalModelConfig {
  /** Filters of each Conv1D block (conv -> batch norm -> relu -> max-pool 2). */
  filters: number[];
  kernelSize: number;
  /** Each block's dilation (absent or empty: 1 for every block). */
  dilations?: number[];
  /** Squeeze-excitation after each block: channels / bottleneck units (absent or 0: none). */
  squeezeExcite?: number;
  dropout: number;
  denseUnits: number;
  /** `meanMaxAttention` adds an attention-weighted mean (`AttentionPooling1D`) to mean and max. */
  pooling: TemporalPooling;
}

import type { TemporalPooling } from "../config/defaults.ts";
export type { TemporalPooling };

function glorot(seed: number) {
  return tf.initializers.glorotUniform({ seed });
}

/**
 * The seed recipe's Conv1D network, layer for layer: input [162, 1]; Conv1D(256,5) ->
 * MaxPool(5, stride 2) -> Conv1D(256,5) -> MaxPool -> Conv1D(128,5) -> MaxPool -> Dropout(0.2)
 * -> Conv1D(64,5) -> MaxPool -> Flatten -> Dense(32, relu) -> Dropout(0.3) -> softmax.
 */
export function buildSeedModel(inputDim: number, classes: number, seed: number): tf.LayersModel {
  const model = tf.sequential({ name: "seed_conv1d" });
  const filters = [256, 256, 128, 64];
  filters.forEach((f, i) => {
    model.add(tf.layers.conv1d({
      ...(i === 0 ? { inputShape: [inputDim, 1] } : {}),
      filters: f,
      kernelSize: 5,
      strides: 1,
      padding: "same",
      activation: "relu",
      kernelInitializer: glorot(seed + i),
    }));
    model.add(tf.layers.maxPooling1d({ poolSize: 5, strides: 2, padding: "same" }));
    if (i === 2) model.add(tf.layers.dropout({ rate: 0.2 }));
  });
  model.add(tf.layers.flatten());
  model.add(
    tf.layers.dense({ units: 32, activation: "relu", kernelInitializer: glorot(seed + 10) }),
  );
  model.add(tf.layers.dropout({ rate: 0.3 }));
  model.add(
    tf.layers.dense({
      units: classes,
      activation: "softmax",
      kernelInitializer: glorot(seed + 11),
    }),
  );
  return model;
}

/**
 * A frame-level model: [frames, dims] sequences -> Conv1D blocks with batch norm -> mean and
 * max pooling over time -> dense -> softmax. Pooling over time makes it indifferent to where in
 * the 2.5 s window the sentence sits, which the flat 162-vector cannot express either.
 */
export function buildTemporalModel(
  frames: number,
  dims: number,
  classes: number,
  cfg: TemporalModelConfig,
  seed: number,
): tf.LayersModel {
  const input = tf.input({ shape: [frames, dims], name: "frames" });
  let h: tf.SymbolicTensor = input;
  cfg.filters.forEach((f, i) => {
    const dilation = cfg.dilations?.[i] ?? 1;
    h = tf.layers.conv1d({
      filters: f,
      kernelSize: cfg.kernelSize,
      // Only when dilated, so an undilated network's saved layers read as they always did.
      ...(dilation > 1 ? { dilationRate: dilation } : {}),
      padding: "same",
      useBias: false,
      kernelInitializer: glorot(seed + i),
      name: `conv${i + 1}`,
    }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.batchNormalization({ name: `bn${i + 1}` }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.reLU({ name: `relu${i + 1}` }).apply(h) as tf.SymbolicTensor;
    if (cfg.squeezeExcite) {
      h = new SqueezeExcite1D({
        hidden: Math.max(1, Math.round(f / cfg.squeezeExcite)),
        seed: seed + 30 + 2 * i,
        name: `se${i + 1}`,
      }).apply(h) as tf.SymbolicTensor;
    }
    if (i < cfg.filters.length - 1) {
      h = tf.layers.maxPooling1d({ poolSize: 2, strides: 2, padding: "same", name: `pool${i + 1}` })
        .apply(h) as tf.SymbolicTensor;
    }
  });
  const mean = tf.layers.globalAveragePooling1d({ name: "time_mean" }).apply(
    h,
  ) as tf.SymbolicTensor;
  const max = tf.layers.globalMaxPooling1d({ name: "time_max" }).apply(h) as tf.SymbolicTensor;
  const pooled = [mean, max];
  if (cfg.pooling === "meanMaxAttention") {
    pooled.push(new AttentionPooling1D({ name: "time_attention" }).apply(h) as tf.SymbolicTensor);
  }
  if (cfg.pooling === "meanMaxStd") {
    pooled.push(new StdPooling1D({ name: "time_std" }).apply(h) as tf.SymbolicTensor);
  }
  h = tf.layers.concatenate({ name: "pooled" }).apply(pooled) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: cfg.dropout, name: "drop1" }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({
    units: cfg.denseUnits,
    activation: "relu",
    kernelInitializer: glorot(seed + 20),
    name: "dense1",
  }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ rate: cfg.dropout, name: "drop2" }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({
    units: classes,
    activation: "softmax",
    kernelInitializer: glorot(seed + 21),
    name: "probs",
  }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: "temporal_conv1d" });
}

/** A model's layers as table rows: name, type, output shape, parameter count. */
export function layerRows(model: tf.LayersModel): Record<string, string | number>[] {
  return model.layers.map((l) => ({
    layer: l.name,
    type: l.getClassName(),
    "output shape": JSON.stringify(l.outputShape).replace(/null/g, "batch"),
    params: l.countParams(),
  }));
}
