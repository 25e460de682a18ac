/**
 * A trained network as an ONNX model, written by the project itself: the protobuf wire format is
 * small (varints and length-delimited fields), and no converter is reachable here. The graph uses
 * the standard opset 13 only (Transpose, Conv, BatchNormalization, Relu, MaxPool, ReduceMean,
 * ReduceMax, ReduceSum, Softmax, Concat, Gemm, Flatten, Sub, Div, Slice, Mul, Unsqueeze), so
 * ONNX Runtime in Python, C++ or on a phone runs it. The model takes the unscaled input rows
 * `[batch, frames, width]` and applies the member's scaler and its columns first, so one file is
 * the whole member. A linear member (`linear_member.ts`) is written by the same writer: its
 * input is a clip's functionals. Pure: returns bytes.
 *
 * Just over 400 lines: the protobuf writer, the graph builder and every layer's ONNX form sit in
 * one file, so a layer's export is read beside the ops and wire format it is made of.
 */
import type * as tf from "@tensorflow/tfjs";
import type { Scaler } from "../normalise/scaler.ts";
import { STD_POOL_EPSILON } from "./static/kernels.ts";
import type { LinearMember } from "./linear_member.ts";

// ---- protobuf wire format ----------------------------------------------------------------

class Writer {
  private parts: number[] = [];

  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.parts.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.parts.push(Number(v));
    return this;
  }

  private key(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }

  int(field: number, value: number): this {
    return this.key(field, 0).varint(value);
  }

  bytes(field: number, data: Uint8Array): this {
    this.key(field, 2).varint(data.length);
    for (const b of data) this.parts.push(b);
    return this;
  }

  string(field: number, text: string): this {
    return this.bytes(field, new TextEncoder().encode(text));
  }

  message(field: number, m: Writer): this {
    return this.bytes(field, m.finish());
  }

  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.key(field, 5);
    for (const x of b) this.parts.push(x);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const FLOAT = 1;
const INT64 = 7;

/** A TensorProto holding float32 or int64 values, stored raw (little-endian). */
function tensor(name: string, dims: readonly number[], data: Float32Array | BigInt64Array): Writer {
  const t = new Writer();
  for (const d of dims) t.int(1, d);
  t.int(2, data instanceof Float32Array ? FLOAT : INT64);
  t.string(8, name);
  t.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return t;
}

type Attr =
  | { name: string; int: number }
  | { name: string; ints: number[] }
  | { name: string; float: number };

function attribute(a: Attr): Writer {
  const w = new Writer().string(1, a.name);
  if ("int" in a) w.int(3, a.int).int(20, 2);
  else if ("float" in a) w.float(2, a.float).int(20, 1);
  else {
    for (const v of a.ints) w.int(8, v);
    w.int(20, 7);
  }
  return w;
}

/** A ValueInfoProto of a float tensor; a dimension given as a string is symbolic (the batch). */
function valueInfo(name: string, dims: readonly (number | string)[]): Writer {
  const shape = new Writer();
  for (const d of dims) {
    shape.message(1, typeof d === "number" ? new Writer().int(1, d) : new Writer().string(2, d));
  }
  const tensorType = new Writer().int(1, FLOAT).message(2, shape);
  return new Writer().string(1, name).message(2, new Writer().message(1, tensorType));
}

// ---- graph building ------------------------------------------------------------------------

class Graph {
  nodes: Writer[] = [];
  initializers: Writer[] = [];
  private count = 0;

  fresh(prefix: string): string {
    return `${prefix}_${++this.count}`;
  }

  constant(prefix: string, dims: readonly number[], data: Float32Array | BigInt64Array): string {
    const name = this.fresh(prefix);
    this.initializers.push(tensor(name, dims, data));
    return name;
  }

  ints(prefix: string, values: number[]): string {
    return this.constant(prefix, [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  node(op: string, inputs: string[], attrs: Attr[] = []): string {
    const out = this.fresh(op.toLowerCase());
    const n = new Writer();
    for (const i of inputs) n.string(1, i);
    n.string(2, out).string(3, out).string(4, op);
    for (const a of attrs) n.message(5, attribute(a));
    this.nodes.push(n);
    return out;
  }
}

/** A layer's weights as float32 arrays with their shapes. */
function weightsOf(layer: tf.layers.Layer): { data: Float32Array; shape: number[] }[] {
  return layer.getWeights().map((w) => ({ data: w.dataSync() as Float32Array, shape: w.shape }));
}

/** `[k, in, out]` (tfjs Conv1D) to `[out, in, k]` (ONNX Conv). */
function convKernel({ data, shape }: { data: Float32Array; shape: number[] }): Float32Array {
  const [k, cin, cout] = shape;
  const out = new Float32Array(data.length);
  for (let t = 0; t < k; t++) {
    for (let i = 0; i < cin; i++) {
      for (let o = 0; o < cout; o++) out[(o * cin + i) * k + t] = data[(t * cin + i) * cout + o];
    }
  }
  return out;
}

/** tfjs's "same" padding of a window `size` with `stride` over `length`: [left, right]. */
function samePads(length: number, size: number, stride: number): [number, number] {
  const out = Math.ceil(length / stride);
  const total = Math.max(0, (out - 1) * stride + size - length);
  const left = Math.floor(total / 2);
  return [left, total - left];
}

export interface OnnxMember {
  model: tf.LayersModel;
  /** The scaler of the member's training rows, over the whole input width. */
  scaler: Scaler;
  /** Columns `[from, to)` of each frame the member reads. */
  channels: [number, number];
  /** The run's input shape `[frames, width]` (the seed network's `[162, 1]`). */
  rowShape: number[];
}

/**
 * The member as ONNX bytes: input `input` `[batch, frames, width]` (unscaled), output `probs`
 * `[batch, classes]`.
 */
export function exportOnnx(m: OnnxMember, name: string): Uint8Array {
  const g = new Graph();
  const [frames, width] = m.rowShape;
  // Scale (the member's training statistics), then the member's columns.
  // Per column of a frame; the seed network's scaler is per position of its 162-vector.
  const statsShape = m.scaler.dim === width ? [width] : [m.scaler.dim, 1];
  let x = g.node("Sub", [
    "input",
    g.constant("mean", statsShape, Float32Array.from(m.scaler.mean)),
  ]);
  x = g.node("Div", [x, g.constant("scale", statsShape, Float32Array.from(m.scaler.scale))]);
  const [from, to] = m.channels;
  if (from !== 0 || to !== width) {
    x = g.node("Slice", [x, g.ints("starts", [from]), g.ints("ends", [to]), g.ints("axes", [2])]);
  }
  // Convolutions run channels-first: [batch, channels, frames].
  x = g.node("Transpose", [x], [{ name: "perm", ints: [0, 2, 1] }]);
  let length = frames;
  let channelsFirst = true;
  const pooled: string[] = [];
  let pooledFrom = "";
  for (const layer of m.model.layers) {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as Record<string, unknown>;
    const w = weightsOf(layer);
    const relu = () => (x = g.node("Relu", [x]));
    switch (cls) {
      case "InputLayer":
      case "Dropout":
        break;
      case "Conv1D": {
        const k = (cfg.kernelSize as number[])[0];
        const stride = (cfg.strides as number[])[0];
        const dilation = (cfg.dilationRate as number[] | undefined)?.[0] ?? 1;
        if (stride !== 1) {
          throw new Error(`${name}: ${layer.name}: only stride 1 Conv1D is exported`);
        }
        // Padded for the taps' span, as tfjs pads a dilated kernel.
        const span = (k - 1) * dilation + 1;
        const pads = cfg.padding === "same" ? samePads(length, span, 1) : [0, 0];
        const cout = w[0].shape[2];
        const inputs = [x, g.constant("W", [cout, w[0].shape[1], k], convKernel(w[0]))];
        if (w[1]) inputs.push(g.constant("B", [cout], w[1].data));
        x = g.node("Conv", inputs, [
          { name: "kernel_shape", ints: [k] },
          { name: "pads", ints: pads },
          ...(dilation > 1 ? [{ name: "dilations", ints: [dilation] }] : []),
        ]);
        if (cfg.padding !== "same") length = length - span + 1;
        if (cfg.activation === "relu") relu();
        else if (cfg.activation !== "linear") {
          throw new Error(`${name}: ${layer.name}: activation ${cfg.activation} is not exported`);
        }
        break;
      }
      case "BatchNormalization": {
        const [gamma, beta, mean, variance] = w;
        const c = gamma.shape[0];
        x = g.node("BatchNormalization", [
          x,
          g.constant("gamma", [c], gamma.data),
          g.constant("beta", [c], beta.data),
          g.constant("bn_mean", [c], mean.data),
          g.constant("bn_var", [c], variance.data),
        ], [{ name: "epsilon", float: cfg.epsilon as number }]);
        break;
      }
      case "ReLU":
        relu();
        break;
      case "MaxPooling1D": {
        const size = (cfg.poolSize as number[])[0];
        const stride = (cfg.strides as number[])[0];
        const pads = cfg.padding === "same" ? samePads(length, size, stride) : [0, 0];
        x = g.node("MaxPool", [x], [
          { name: "kernel_shape", ints: [size] },
          { name: "strides", ints: [stride] },
          { name: "pads", ints: pads },
        ]);
        length = cfg.padding === "same"
          ? Math.ceil(length / stride)
          : Math.floor((length - size) / stride) + 1;
        break;
      }
      case "GlobalAveragePooling1D":
      case "GlobalMaxPooling1D":
      case "AttentionPooling1D":
      case "StdPooling1D": {
        // The three poolings read the same frames (the layer before them).
        pooledFrom ||= x;
        const h = pooledFrom;
        if (cls === "GlobalAveragePooling1D") {
          pooled.push(g.node("ReduceMean", [h], [{ name: "axes", ints: [2] }, {
            name: "keepdims",
            int: 0,
          }]));
        } else if (cls === "StdPooling1D") {
          const centred = g.node("Sub", [
            h,
            g.node("ReduceMean", [h], [{ name: "axes", ints: [2] }, { name: "keepdims", int: 1 }]),
          ]);
          const variance = g.node("ReduceMean", [g.node("Mul", [centred, centred])], [
            { name: "axes", ints: [2] },
            { name: "keepdims", int: 0 },
          ]);
          const epsilon = g.constant("std_epsilon", [1], Float32Array.of(STD_POOL_EPSILON));
          pooled.push(g.node("Sqrt", [g.node("Add", [variance, epsilon])]));
        } else if (cls === "GlobalMaxPooling1D") {
          pooled.push(g.node("ReduceMax", [h], [{ name: "axes", ints: [2] }, {
            name: "keepdims",
            int: 0,
          }]));
        } else {
          const c = w[0].shape[0];
          const scores = g.node("ReduceSum", [
            g.node("Mul", [h, g.constant("score", [1, c, 1], w[0].data)]),
            g.ints("axes", [1]),
          ], [{ name: "keepdims", int: 0 }]);
          const weights = g.node("Unsqueeze", [
            g.node("Softmax", [scores], [{ name: "axis", int: 1 }]),
            g.ints("axes", [1]),
          ]);
          pooled.push(
            g.node("ReduceSum", [g.node("Mul", [h, weights]), g.ints("axes", [2])], [{
              name: "keepdims",
              int: 0,
            }]),
          );
        }
        x = pooled[pooled.length - 1];
        channelsFirst = false;
        break;
      }
      case "SqueezeExcite1D": {
        // Channels-first here: the means over axis 2, the gate broadcast back over the frames.
        const [w1, b1, w2, b2] = w;
        const means = g.node("ReduceMean", [x], [{ name: "axes", ints: [2] }, {
          name: "keepdims",
          int: 0,
        }]);
        const hidden = g.node("Relu", [
          g.node("Gemm", [
            means,
            g.constant("se_W1", w1.shape, w1.data),
            g.constant("se_B1", b1.shape, b1.data),
          ]),
        ]);
        const gate = g.node("Sigmoid", [
          g.node("Gemm", [
            hidden,
            g.constant("se_W2", w2.shape, w2.data),
            g.constant("se_B2", b2.shape, b2.data),
          ]),
        ]);
        x = g.node("Mul", [x, g.node("Unsqueeze", [gate, g.ints("axes", [2])])]);
        break;
      }
      case "Concatenate":
        x = g.node("Concat", pooled, [{ name: "axis", int: 1 }]);
        break;
      case "Flatten":
        // tfjs flattens [frames, channels] frame by frame: back to channels-last first.
        if (channelsFirst) x = g.node("Transpose", [x], [{ name: "perm", ints: [0, 2, 1] }]);
        x = g.node("Flatten", [x], [{ name: "axis", int: 1 }]);
        channelsFirst = false;
        break;
      case "Dense": {
        const [kernel, bias] = w;
        x = g.node("Gemm", [
          x,
          g.constant("dense_W", kernel.shape, kernel.data),
          g.constant("dense_B", [kernel.shape[1]], bias.data),
        ]);
        if (cfg.activation === "relu") relu();
        else if (cfg.activation === "softmax") {
          x = g.node("Softmax", [x], [{ name: "axis", int: 1 }]);
        } else if (cfg.activation !== "linear") {
          throw new Error(`${name}: ${layer.name}: activation ${cfg.activation} is not exported`);
        }
        break;
      }
      default:
        throw new Error(`${name}: layer ${layer.name} (${cls}) has no ONNX form here`);
    }
  }
  const classes = m.model.outputs[0].shape[1] as number;
  return modelBytes(g, x, name, valueInfo("input", ["batch", frames, width]), classes);
}

/** The graph `g`, whose last node `x` gives the probabilities, as an ONNX model's bytes. */
function modelBytes(g: Graph, x: string, name: string, input: Writer, classes: number): Uint8Array {
  const graph = new Writer();
  // Name the last node's output `probs` with an Identity, so callers need not know our names.
  const id = new Writer().string(1, x).string(2, "probs").string(3, "probs").string(4, "Identity");
  for (const n of [...g.nodes, id]) graph.message(1, n);
  graph.string(2, name);
  for (const t of g.initializers) graph.message(5, t);
  graph.message(11, input);
  graph.message(12, valueInfo("probs", ["batch", classes]));
  return new Writer()
    .int(1, 8) // IR version 8: what ONNX 1.10-1.12 (Debian's python3-onnx) check
    .message(8, new Writer().string(1, "").int(2, 13))
    .string(2, "ser-deno")
    .string(3, "0.1.0")
    .message(7, graph)
    .finish();
}

/**
 * A linear member (`model/linear_member.ts`) as ONNX bytes: input `functionals`
 * `[batch, functionals]` (a clip's functionals, standardised with its voice's statistics first
 * where the member is per-voice), its scaler, Gemm and Softmax; output `probs`.
 */
export function exportLinearOnnx(m: LinearMember, name: string): Uint8Array {
  const g = new Graph();
  const { inputs, classes } = m.model;
  let x = g.node("Sub", [
    "functionals",
    g.constant("mean", [inputs], Float32Array.from(m.scaler.mean)),
  ]);
  x = g.node("Div", [x, g.constant("scale", [inputs], Float32Array.from(m.scaler.scale))]);
  x = g.node("Gemm", [
    x,
    g.constant("W", [inputs, classes], Float32Array.from(m.model.weights)),
    g.constant("B", [classes], Float32Array.from(m.model.bias)),
  ]);
  x = g.node("Softmax", [x], [{ name: "axis", int: 1 }]);
  return modelBytes(g, x, name, valueInfo("functionals", ["batch", inputs]), classes);
}
