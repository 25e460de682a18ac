/**
 * The static trainer's view of a network: a tfjs layers model compiled into a fixed list of ops
 * over flat channels-last buffers, and every weight placed in one flat array. The tfjs model stays
 * the one definition of the architecture (and the saved format): the plan reads its layers, takes
 * its initial weights, and gives the trained weights back. Pure (tfjs types, no Deno APIs).
 *
 * The family covered is the project's: Conv1D (same padding, stride 1, dilated or not, with or
 * without bias and ReLU), batch normalisation over the last axis, ReLU, squeeze-excitation,
 * same-padded max pooling over time, global mean / max / attention / std pooling joined by a
 * concatenation, dropout, flatten, dense (linear, ReLU, or softmax as the last layer). Anything
 * else is an error naming the layer.
 *
 * Over 400 lines on purpose: the op types, then one switch over every layer the family accepts, so
 * what the static trainer can train reads in one place.
 */
import type * as tf from "@tensorflow/tfjs";

// deno-lint-ignore no-explicit-any
type AnyLayer = any;

/** One weight of the network, at `offset` in the flat array. */
export interface WeightSlot {
  /** tfjs layer and weight position within `layer.weights`, for reading and writing back. */
  layer: string;
  index: number;
  shape: number[];
  size: number;
  offset: number;
  /** Moving statistics are weights but not trained. */
  trainable: boolean;
  /** Conv and dense kernels: what weight decay shrinks. */
  kernel: boolean;
}

export type TimePoolMode = "mean" | "max" | "attention" | "std";

export type StaticOp =
  | {
    kind: "conv";
    /** Frames in and out (same padding, stride 1). */
    length: number;
    cin: number;
    cout: number;
    width: number;
    /** Frames between the kernel's taps (1: adjacent). */
    dilation: number;
    padLeft: number;
    kernel: WeightSlot;
    bias: WeightSlot | null;
    relu: boolean;
  }
  | {
    kind: "batchNorm";
    rows: number;
    channels: number;
    epsilon: number;
    momentum: number;
    gamma: WeightSlot;
    beta: WeightSlot;
    movingMean: WeightSlot;
    movingVariance: WeightSlot;
    relu: boolean;
  }
  | { kind: "relu"; size: number }
  | {
    kind: "maxPool";
    length: number;
    channels: number;
    pool: number;
    stride: number;
    padLeft: number;
    outLength: number;
  }
  | {
    kind: "timePool";
    length: number;
    channels: number;
    modes: TimePoolMode[];
    attention: WeightSlot | null;
  }
  | {
    kind: "squeeze";
    length: number;
    channels: number;
    /** Units of the bottleneck. */
    hidden: number;
    w1: WeightSlot;
    b1: WeightSlot;
    w2: WeightSlot;
    b2: WeightSlot;
  }
  | { kind: "dropout"; size: number; rate: number }
  | {
    kind: "dense";
    inputs: number;
    units: number;
    kernel: WeightSlot;
    bias: WeightSlot | null;
    activation: "linear" | "relu" | "softmax";
  };

export interface StaticPlan {
  /** Values per input row (frames x dims). */
  inputSize: number;
  inputShape: number[];
  classes: number;
  ops: StaticOp[];
  /** Values per row of each op's output. */
  outSizes: number[];
  slots: WeightSlot[];
  /** Trainable weights fill [0, trainableSize) of the flat array; moving statistics follow. */
  trainableSize: number;
  totalSize: number;
}

/** Why a model cannot train on the static engine, naming the layer. */
export class UnsupportedLayerError extends Error {}

function unsupported(layer: AnyLayer, why: string): never {
  throw new UnsupportedLayerError(
    `train.engine=static: layer '${layer.name}' (${layer.getClassName()}) ${why}; ` +
      `train it with --train.engine=tfjs`,
  );
}

/** tfjs's "same" padding: the left share of the total (the smaller half when odd). */
function samePadLeft(length: number, outLength: number, window: number, stride: number): number {
  return Math.floor(Math.max(0, (outLength - 1) * stride + window - length) / 2);
}

/**
 * Compile `model` (built by `networks.ts` or any model of the same family) into a plan. Weight
 * slots are laid out trainable first, in the order of `model.layers`.
 */
export function compilePlan(model: tf.LayersModel): StaticPlan {
  const inShape = model.inputs[0].shape.slice(1) as number[];
  if (inShape.length !== 2 || inShape.some((d) => d == null)) {
    throw new UnsupportedLayerError(
      `train.engine=static: the input must be [frames, dims] (got [${inShape.join(", ")}])`,
    );
  }
  const pending: { layer: AnyLayer; index: number; trainable: boolean; kernel: boolean }[] = [];
  const slotOf = new Map<string, WeightSlot>();
  const want = (layer: AnyLayer, index: number, trainable: boolean, kernel = false) => {
    pending.push({ layer, index, trainable, kernel });
    // Filled in once every weight is known (trainable ones first).
    const slot = {
      layer: layer.name,
      index,
      shape: layer.weights[index].shape as number[],
    } as WeightSlot;
    slotOf.set(`${layer.name}/${index}`, slot);
    return slot;
  };

  const ops: StaticOp[] = [];
  const outSizes: number[] = [];
  let [length, channels] = inShape;
  let flat = false; // after Flatten or time pooling: one vector per row
  let pool: { modes: TimePoolMode[]; attention: WeightSlot | null; names: string[] } | null = null;
  const push = (op: StaticOp, size: number) => {
    ops.push(op);
    outSizes.push(size);
  };
  const size = () => (flat ? channels : length * channels);
  const activationOf = (layer: AnyLayer): string =>
    layer.activation?.getClassName?.()?.toLowerCase() ?? "linear";

  for (const layer of model.layers as AnyLayer[]) {
    const kind = layer.getClassName();
    if (pool && kind !== "Concatenate" && !/Global|Attention|StdPooling/.test(kind)) {
      unsupported(layer, "follows a time pooling that no Concatenate closes");
    }
    switch (kind) {
      case "InputLayer":
        break;
      case "Conv1D": {
        if (flat) unsupported(layer, "comes after the frames were pooled");
        const [width] = layer.kernelSize as number[];
        const [stride] = layer.strides as number[];
        const [dilation] = (layer.dilationRate ?? [1]) as number[];
        if (stride !== 1 || layer.padding !== "same") {
          unsupported(layer, "is not a same-padded, stride-1 convolution");
        }
        const act = activationOf(layer);
        if (act !== "linear" && act !== "relu") unsupported(layer, `has activation ${act}`);
        const kernel = want(layer, 0, true, true);
        const bias = layer.useBias ? want(layer, 1, true) : null;
        const cout = layer.filters as number;
        push({
          kind: "conv",
          length,
          cin: channels,
          cout,
          width,
          dilation,
          // tfjs's same padding for the taps' span, (width - 1) * dilation + 1 frames.
          padLeft: Math.floor(((width - 1) * dilation) / 2),
          kernel,
          bias,
          relu: act === "relu",
        }, length * cout);
        channels = cout;
        break;
      }
      case "BatchNormalization": {
        const axis = layer.axis as number;
        const rank = flat ? 2 : 3;
        if ((axis < 0 ? axis + rank : axis) !== rank - 1 || !layer.center || !layer.scale) {
          unsupported(layer, "is not a centred, scaled batch norm over the last axis");
        }
        push({
          kind: "batchNorm",
          rows: flat ? 1 : length,
          channels,
          epsilon: layer.epsilon,
          momentum: layer.momentum,
          gamma: want(layer, 0, true),
          beta: want(layer, 1, true),
          movingMean: want(layer, 2, false),
          movingVariance: want(layer, 3, false),
          relu: false,
        }, size());
        break;
      }
      case "ReLU":
      case "Activation": {
        const act = kind === "ReLU" ? "relu" : activationOf(layer);
        if (act !== "relu" || (kind === "ReLU" && layer.maxValue != null)) {
          unsupported(layer, "is not a plain ReLU");
        }
        const last = ops[ops.length - 1];
        // Fused into the op before it when that op's output feeds nothing else.
        if (last && (last.kind === "batchNorm" || last.kind === "conv") && !last.relu) {
          last.relu = true;
        } else if (last && last.kind === "dense" && last.activation === "linear") {
          last.activation = "relu";
        } else push({ kind: "relu", size: size() }, size());
        break;
      }
      case "MaxPooling1D": {
        if (flat) unsupported(layer, "comes after the frames were pooled");
        const [poolSize] = layer.poolSize as number[];
        const [stride] = layer.strides as number[];
        const outLength = layer.padding === "same"
          ? Math.ceil(length / stride)
          : Math.floor((length - poolSize) / stride) + 1;
        push({
          kind: "maxPool",
          length,
          channels,
          pool: poolSize,
          stride,
          padLeft: layer.padding === "same" ? samePadLeft(length, outLength, poolSize, stride) : 0,
          outLength,
        }, outLength * channels);
        length = outLength;
        break;
      }
      case "GlobalAveragePooling1D":
      case "GlobalMaxPooling1D":
      case "AttentionPooling1D":
      case "StdPooling1D": {
        if (flat) unsupported(layer, "comes after the frames were pooled");
        pool ??= { modes: [], attention: null, names: [] };
        const mode: TimePoolMode = kind === "GlobalAveragePooling1D"
          ? "mean"
          : kind === "GlobalMaxPooling1D"
          ? "max"
          : kind === "StdPooling1D"
          ? "std"
          : "attention";
        if (pool.modes.includes(mode)) unsupported(layer, "repeats a time pooling");
        if (mode === "attention") pool.attention = want(layer, 0, true);
        pool.modes.push(mode);
        pool.names.push(layer.name);
        break;
      }
      case "SqueezeExcite1D": {
        if (flat) unsupported(layer, "comes after the frames were pooled");
        push({
          kind: "squeeze",
          length,
          channels,
          hidden: layer.hidden as number,
          w1: want(layer, 0, true, true),
          b1: want(layer, 1, true),
          w2: want(layer, 2, true, true),
          b2: want(layer, 3, true),
        }, size());
        break;
      }
      case "Concatenate": {
        const inbound = (layer.inboundNodes?.[0]?.inboundLayers ?? []).map((l: AnyLayer) => l.name);
        if (!pool || inbound.join() !== pool.names.join()) {
          unsupported(layer, "does not join the time poolings, in their order");
        }
        push({
          kind: "timePool",
          length,
          channels,
          modes: pool.modes,
          attention: pool.attention,
        }, pool.modes.length * channels);
        channels = pool.modes.length * channels;
        flat = true;
        pool = null;
        break;
      }
      case "Flatten":
        if (!flat) {
          channels = length * channels;
          flat = true;
        }
        break;
      case "Dropout": {
        if (layer.noiseShape != null) unsupported(layer, "has a noise shape");
        push({ kind: "dropout", size: size(), rate: layer.rate }, size());
        break;
      }
      case "Dense": {
        if (!flat) unsupported(layer, "is applied per frame");
        const act = activationOf(layer);
        if (act !== "linear" && act !== "relu" && act !== "softmax") {
          unsupported(layer, `has activation ${act}`);
        }
        push({
          kind: "dense",
          inputs: channels,
          units: layer.units,
          kernel: want(layer, 0, true, true),
          bias: layer.useBias ? want(layer, 1, true) : null,
          activation: act as "linear" | "relu" | "softmax",
        }, layer.units);
        channels = layer.units;
        break;
      }
      default:
        unsupported(layer, "is not in the static engine's family");
    }
  }
  const last = ops[ops.length - 1];
  if (!last || last.kind !== "dense" || last.activation !== "softmax") {
    throw new UnsupportedLayerError(
      "train.engine=static: the network must end in a softmax dense layer",
    );
  }
  if (
    ops.some((op, i) => op.kind === "dense" && op.activation === "softmax" && i < ops.length - 1)
  ) {
    throw new UnsupportedLayerError("train.engine=static: softmax only as the last layer");
  }
  let offset = 0;
  let trainableSize = 0;
  const slots: WeightSlot[] = [];
  for (const trainable of [true, false]) {
    for (const p of pending.filter((q) => q.trainable === trainable)) {
      const slot = slotOf.get(`${p.layer.name}/${p.index}`)!;
      slot.size = slot.shape.reduce((a, b) => a * b, 1);
      slot.offset = offset;
      slot.trainable = trainable;
      slot.kernel = p.kernel;
      offset += slot.size;
      slots.push(slot);
    }
    if (trainable) trainableSize = offset;
  }
  return {
    inputSize: inShape[0] * inShape[1],
    inputShape: inShape,
    classes: last.units,
    ops,
    outSizes,
    slots,
    trainableSize,
    totalSize: offset,
  };
}

/** The model's current weights, copied into one flat array laid out as `plan.slots`. */
export function readWeights(model: tf.LayersModel, plan: StaticPlan): Float32Array {
  const flat = new Float32Array(plan.totalSize);
  for (const slot of plan.slots) {
    const values = model.getLayer(slot.layer).weights[slot.index].read().dataSync();
    if (values.length !== slot.size) {
      throw new Error(`static engine: weight ${slot.layer}/${slot.index} changed size`);
    }
    flat.set(values as Float32Array, slot.offset);
  }
  return flat;
}

/** Writes a flat weight array back into the model's variables (the saved model is tfjs's own). */
export function writeWeights(
  model: tf.LayersModel,
  plan: StaticPlan,
  flat: Float32Array,
  tensor: (values: Float32Array, shape: number[]) => tf.Tensor,
): void {
  const byLayer = new Map<string, WeightSlot[]>();
  for (const slot of plan.slots) {
    const list = byLayer.get(slot.layer) ?? [];
    list[slot.index] = slot;
    byLayer.set(slot.layer, list);
  }
  for (const [name, list] of byLayer) {
    const values = list.map((s) => tensor(flat.slice(s.offset, s.offset + s.size), s.shape));
    model.getLayer(name).setWeights(values);
    values.forEach((t) => t.dispose());
  }
}

/**
 * Floating-point operations of one training step on a batch of `batch` rows, counting the
 * products only (2 per multiply-add: forward, weight gradient, input gradient but the first
 * layer's): what the distance to a machine's GFLOP/s limit is measured in.
 */
export function stepFlops(plan: StaticPlan, batch: number): number {
  let flops = 0;
  plan.ops.forEach((op, i) => {
    let once = 0;
    if (op.kind === "conv") once = 2 * batch * op.length * op.width * op.cin * op.cout;
    else if (op.kind === "dense") once = 2 * batch * op.inputs * op.units;
    else return;
    flops += once * (i === 0 ? 2 : 3);
  });
  return flops;
}
