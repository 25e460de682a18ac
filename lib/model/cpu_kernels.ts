/**
 * Training kernels for tfjs's `cpu` backend: convolutions lowered to im2col + one GEMM each, and
 * loop-tight replacements for the element-wise, reduction and pooling kernels that dominate
 * once the convolutions are fast (the stock ones go through per-element index arithmetic:
 * MaxPoolGrad alone took 1.8 s of a 2.9 s seed-network batch before this module existed).
 *
 * tfjs 4.22's cpu backend computes Conv2DBackpropFilter with a scalar loop nest (about 525 s for
 * one batch of the seed network), and its forward and input-gradient convolutions are loops too.
 * Conv1D layers run as Conv2D with a filter height of one, so these three kernels cover every
 * convolution our models use. Shapes, padding and strides come from tfjs's own
 * `computeConv2DInfo`, so "same"/"valid" padding and strides match the stock kernels exactly;
 * anything else (NCHW, dilation) is handed back to the stock kernel.
 *
 * Over 400 lines on purpose: the kernels replace one family of tfjs ops and are registered
 * together (`registerFusedKernels`); split, a reader would chase one op pair across files.
 *
 * No Deno APIs here: the GEMM is injected (native BLAS under Deno, JavaScript elsewhere).
 */
import * as tf from "@tensorflow/tfjs";
import type { Gemm } from "./gemm.ts";

type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

// deno-lint-ignore no-explicit-any
type CpuBackend = any;
interface KernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  backend: CpuBackend;
  attrs: Record<string, unknown>;
}

function valuesOf(backend: CpuBackend, t: tf.TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

/** Scratch buffers owned by one registration; training reuses the same few shapes. */
class Scratch {
  private buf = new Float32Array(0);
  get(size: number): Float32Array {
    if (this.buf.length < size) this.buf = new Float32Array(size);
    return this.buf.subarray(0, size);
  }
}

/** cols[(b,oy,ox), (ky,kx,c)] = x[b, oy*sh+ky-top, ox*sw+kx-left, c], zero outside. */
export function im2col(x: Float32Array, info: Conv2DInfo, cols: Float32Array): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  if (inHeight === 1 && filterHeight === 1 && outHeight === 1 && strideWidth === 1) {
    im2colTime(x, batchSize, inWidth, inChannels, outWidth, filterWidth, info.padInfo.left, cols);
    return;
  }
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const rowLen = filterHeight * filterWidth * inChannels;
  let row = 0;
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * inWidth * inChannels;
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++, row++) {
        let dst = row * rowLen;
        for (let ky = 0; ky < filterHeight; ky++) {
          const iy = oy * strideHeight + ky - top;
          for (let kx = 0; kx < filterWidth; kx++, dst += inChannels) {
            const ix = ox * strideWidth + kx - left;
            if (iy < 0 || iy >= inHeight || ix < 0 || ix >= inWidth) {
              cols.fill(0, dst, dst + inChannels);
            } else {
              const src = xBatch + (iy * inWidth + ix) * inChannels;
              if (inChannels === 1) cols[dst] = x[src];
              else cols.set(x.subarray(src, src + inChannels), dst);
            }
          }
        }
      }
    }
  }
}

/**
 * im2col of a stride-1 convolution over time (what Conv1D lowers to): a row's patch is `k`
 * consecutive frames, one contiguous run of the input, so it is copied in one piece (the general
 * loop makes a view per frame; on 7,000 rows x 5 frames that allocation was a tenth of a batch).
 */
function im2colTime(
  x: Float32Array,
  batch: number,
  frames: number,
  channels: number,
  outFrames: number,
  k: number,
  left: number,
  cols: Float32Array,
): void {
  const rowLen = k * channels;
  let dst = 0;
  for (let b = 0; b < batch; b++) {
    const xb = b * frames * channels;
    for (let ox = 0; ox < outFrames; ox++, dst += rowLen) {
      const first = ox - left; // input frame under the patch's first tap
      const from = Math.max(0, first);
      const to = Math.min(frames, first + k);
      const lead = (from - first) * channels;
      if (lead > 0) cols.fill(0, dst, dst + lead);
      if (to > from) {
        cols.set(x.subarray(xb + from * channels, xb + to * channels), dst + lead);
      }
      const tail = dst + lead + Math.max(0, to - from) * channels;
      if (tail < dst + rowLen) cols.fill(0, tail, dst + rowLen);
    }
  }
}

/** The adjoint of im2col: dx[b, iy, ix, c] += cols[...] for every patch the pixel appears in. */
export function col2im(cols: Float32Array, info: Conv2DInfo, dx: Float32Array): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const rowLen = filterHeight * filterWidth * inChannels;
  dx.fill(0);
  let row = 0;
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * inWidth * inChannels;
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++, row++) {
        let src = row * rowLen;
        for (let ky = 0; ky < filterHeight; ky++) {
          const iy = oy * strideHeight + ky - top;
          for (let kx = 0; kx < filterWidth; kx++, src += inChannels) {
            const ix = ox * strideWidth + kx - left;
            if (iy < 0 || iy >= inHeight || ix < 0 || ix >= inWidth) continue;
            const dst = xBatch + (iy * inWidth + ix) * inChannels;
            for (let c = 0; c < inChannels; c++) dx[dst + c] += cols[src + c];
          }
        }
      }
    }
  }
}

/** tfjs's own shape/padding arithmetic for a conv kernel's attributes. */
function convInfo(
  inShape: number[],
  filterShape: number[],
  attrs: Record<string, unknown>,
  dilations: unknown,
): Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number],
    dilations as [number, number],
    attrs.pad as "same",
    attrs.dimRoundingMode as "floor" | undefined,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat as "NHWC"),
  );
}

function supported(info: Conv2DInfo, dilations: unknown): boolean {
  const d = dilations ?? 1;
  const dilationOne = Array.isArray(d) ? d.every((v) => v === 1) : d === 1;
  return info.dataFormat === "channelsLast" && dilationOne;
}

const KERNELS = [
  "Conv2D",
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
  "MaxPool",
  "MaxPoolGrad",
  "Add",
  "Sub",
  "Multiply",
  "RealDiv",
  "Equal",
  "Sum",
  "Mean",
  "Max",
  "SplitV",
  "Tile",
  "Relu",
  "Step",
  "BatchMatMul",
] as const;

/**
 * Replace the cpu backend's convolution kernels with im2col + `gemm`, and its pooling, add,
 * multiply and sum kernels with fast paths for the shapes training produces (anything else goes
 * to the stock kernel). Returns a function that restores the stock kernels (tests compare both).
 */
export function registerFastCpuKernels(
  gemm: Gemm,
  backendName = "cpu",
  opts: { rank2MatMul?: boolean } = {},
): () => void {
  // Rank-2 matmuls (the dense layers' gradients) through the GEMM: faster, summed in another
  // order than tfjs's loop, so only with the fused kernels (`stock` trains as it always did).
  const rank2 = opts.rank2MatMul ?? true;
  const stock = new Map<string, tf.KernelConfig>();
  for (const name of KERNELS) {
    const k = tf.getKernel(name, backendName);
    if (!k) throw new Error(`tfjs backend '${backendName}' has no ${name} kernel to replace`);
    stock.set(name, k);
  }
  const cols = new Scratch();
  const fallback = (name: string, args: KernelArgs) =>
    // deno-lint-ignore no-explicit-any
    stock.get(name)!.kernelFunc(args as any) as tf.TensorInfo;

  const conv2d = (args: KernelArgs): tf.TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x, filter } = inputs;
    const info = convInfo(x.shape, filter.shape, attrs, attrs.dilations as [number, number]);
    if (!supported(info, attrs.dilations)) return fallback("Conv2D", args);
    const rows = info.batchSize * info.outHeight * info.outWidth;
    const depth = info.filterHeight * info.filterWidth * info.inChannels;
    const c = cols.get(rows * depth);
    im2col(valuesOf(backend, x), info, c);
    const out = new Float32Array(rows * info.outChannels);
    gemm.sgemm(false, false, rows, info.outChannels, depth, c, valuesOf(backend, filter), out);
    return backend.makeTensorInfo(info.outShape, "float32", out);
  };

  const backpropFilter = (args: KernelArgs): tf.TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x, dy } = inputs;
    const info = convInfo(x.shape, attrs.filterShape as number[], attrs, 1);
    if (!supported(info, 1)) return fallback("Conv2DBackpropFilter", args);
    const rows = info.batchSize * info.outHeight * info.outWidth;
    const depth = info.filterHeight * info.filterWidth * info.inChannels;
    const c = cols.get(rows * depth);
    im2col(valuesOf(backend, x), info, c);
    const dw = new Float32Array(depth * info.outChannels);
    gemm.sgemm(true, false, depth, info.outChannels, rows, c, valuesOf(backend, dy), dw);
    return backend.makeTensorInfo(info.filterShape, "float32", dw);
  };

  const backpropInput = (args: KernelArgs): tf.TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs;
    const info = convInfo(attrs.inputShape as number[], filter.shape, attrs, 1);
    if (!supported(info, 1)) return fallback("Conv2DBackpropInput", args);
    const rows = info.batchSize * info.outHeight * info.outWidth;
    const depth = info.filterHeight * info.filterWidth * info.inChannels;
    const c = cols.get(rows * depth);
    gemm.sgemm(
      false,
      true,
      rows,
      depth,
      info.outChannels,
      valuesOf(backend, dy),
      valuesOf(backend, filter),
      c,
    );
    const dx = new Float32Array(info.batchSize * info.inHeight * info.inWidth * info.inChannels);
    col2im(c, info, dx);
    return backend.makeTensorInfo(info.inShape, "float32", dx);
  };

  const impls: Record<string, (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]> = {
    Conv2D: conv2d,
    Conv2DBackpropFilter: backpropFilter,
    Conv2DBackpropInput: backpropInput,
    MaxPool: (args) => maxPool(args) ?? fallback("MaxPool", args),
    MaxPoolGrad: (args) => maxPoolGrad(args) ?? fallback("MaxPoolGrad", args),
    Add: (args) => binary("Add", args) ?? fallback("Add", args),
    Sub: (args) => binary("Sub", args) ?? fallback("Sub", args),
    Multiply: (args) => binary("Multiply", args) ?? fallback("Multiply", args),
    RealDiv: (args) => binary("RealDiv", args) ?? fallback("RealDiv", args),
    Equal: (args) => binary("Equal", args) ?? fallback("Equal", args),
    Sum: (args) => reduce(false, args) ?? fallback("Sum", args),
    Mean: (args) => reduce(true, args) ?? fallback("Mean", args),
    Max: (args) => reduceMax(args) ?? fallback("Max", args),
    SplitV: (args) => splitV(args) ?? (fallback("SplitV", args) as unknown as tf.TensorInfo[]),
    Tile: (args) => tile(args) ?? fallback("Tile", args),
    Relu: (args) => relu(args) ?? fallback("Relu", args),
    Step: (args) => step(args) ?? fallback("Step", args),
    BatchMatMul: (args) => batchMatMul(gemm, args, rank2) ?? fallback("BatchMatMul", args),
  };
  for (const name of KERNELS) {
    tf.unregisterKernel(name, backendName);
    // deno-lint-ignore no-explicit-any
    tf.registerKernel({ kernelName: name, backendName, kernelFunc: impls[name] as any });
  }
  return () => {
    for (const name of KERNELS) {
      tf.unregisterKernel(name, backendName);
      tf.registerKernel(stock.get(name)!);
    }
  };
}

type PoolInfo = ReturnType<typeof tf.backend_util.computePool2DInfo>;

function poolInfo(x: tf.TensorInfo, attrs: Record<string, unknown>): PoolInfo | null {
  if (x.dtype !== "float32" || x.shape.length !== 4) return null;
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as "same",
    attrs.dimRoundingMode as "floor" | undefined,
  );
  return info.dilationHeight === 1 && info.dilationWidth === 1 ? info : null;
}

/**
 * Visit every output position of a max pool with the first maximum of each channel, in the
 * stock kernel's window order (rows, then columns; a later equal value does not win), so the
 * gradient goes where tfjs would send it even when ReLU zeros tie.
 */
function forEachPoolMax(
  x: Float32Array,
  info: PoolInfo,
  visit: (outBase: number, maxValues: Float32Array, maxIndex: Int32Array) => void,
): void {
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const best = new Float32Array(C);
  const bestAt = new Int32Array(C);
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * inWidth * C;
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        best.fill(-Infinity);
        bestAt.fill(-1);
        for (let ky = 0; ky < filterHeight; ky++) {
          const iy = oy * strideHeight + ky - top;
          if (iy < 0 || iy >= inHeight) continue;
          for (let kx = 0; kx < filterWidth; kx++) {
            const ix = ox * strideWidth + kx - left;
            if (ix < 0 || ix >= inWidth) continue;
            const base = xBatch + (iy * inWidth + ix) * C;
            for (let c = 0; c < C; c++) {
              const v = x[base + c];
              if (v > best[c] || bestAt[c] < 0) {
                best[c] = v;
                bestAt[c] = base + c;
              }
            }
          }
        }
        visit(((b * outHeight + oy) * outWidth + ox) * C, best, bestAt);
      }
    }
  }
}

/**
 * Max pooling over time (what maxPooling1d lowers to: windows along the height of a width-1
 * image), in flat loops: the first valid frame of each window is taken, a later one only when
 * strictly greater, as in `forEachPoolMax`. With `dy`, scatters the gradient to the winners
 * instead (into `out`, sized like x). False when the shape is not a time pooling.
 */
function timePool(
  x: Float32Array,
  info: PoolInfo,
  out: Float32Array,
  dy: Float32Array | null,
): boolean {
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth } = info;
  if (inWidth !== 1 || outWidth !== 1 || info.filterWidth !== 1) return false;
  const { filterHeight, strideHeight } = info;
  const top = info.padInfo.top;
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * C;
    for (let oy = 0; oy < outHeight; oy++) {
      const first = Math.max(0, oy * strideHeight - top);
      const last = Math.min(inHeight, oy * strideHeight - top + filterHeight);
      const o = (b * outHeight + oy) * C;
      const base = xBatch + first * C;
      if (!dy) {
        for (let c = 0; c < C; c++) out[o + c] = x[base + c];
        for (let iy = first + 1; iy < last; iy++) {
          const row = xBatch + iy * C;
          for (let c = 0; c < C; c++) {
            const v = x[row + c];
            if (v > out[o + c]) out[o + c] = v;
          }
        }
      } else {
        for (let c = 0; c < C; c++) {
          let best = x[base + c];
          let at = base + c;
          for (let iy = first + 1; iy < last; iy++) {
            const v = x[xBatch + iy * C + c];
            if (v > best) {
              best = v;
              at = xBatch + iy * C + c;
            }
          }
          out[at] += dy[o + c];
        }
      }
    }
  }
  return true;
}

function maxPool({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | null {
  const info = poolInfo(inputs.x, attrs);
  if (!info) return null;
  const out = new Float32Array(info.batchSize * info.outHeight * info.outWidth * info.inChannels);
  const x = valuesOf(backend, inputs.x);
  if (!timePool(x, info, out, null)) {
    forEachPoolMax(x, info, (base, best) => out.set(best, base));
  }
  return backend.makeTensorInfo(info.outShape, "float32", out);
}

function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | null {
  const info = poolInfo(inputs.input, attrs);
  if (!info) return null;
  const dy = valuesOf(backend, inputs.dy);
  const dx = new Float32Array(info.batchSize * info.inHeight * info.inWidth * info.inChannels);
  const x = valuesOf(backend, inputs.input);
  if (!timePool(x, info, dx, dy)) {
    forEachPoolMax(x, info, (base, _best, at) => {
      for (let c = 0; c < at.length; c++) if (at[c] >= 0) dx[at[c]] += dy[base + c];
    });
  }
  return backend.makeTensorInfo(inputs.input.shape, "float32", dx);
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

type RowOp = (
  out: Float32Array | Uint8Array,
  o: number,
  a: Float32Array,
  ai: number,
  as: number,
  b: Float32Array,
  bi: number,
  bs: number,
  n: number,
) => void;

// One monomorphic loop per operation: V8 inlines nothing through a shared callback here.
const ROW_OPS: Record<string, RowOp> = {
  Add: (out, o, a, ai, as, b, bi, bs, n) => {
    for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] + b[bi];
  },
  Sub: (out, o, a, ai, as, b, bi, bs, n) => {
    for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] - b[bi];
  },
  Multiply: (out, o, a, ai, as, b, bi, bs, n) => {
    for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] * b[bi];
  },
  RealDiv: (out, o, a, ai, as, b, bi, bs, n) => {
    for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] / b[bi];
  },
  Equal: (out, o, a, ai, as, b, bi, bs, n) => {
    for (let j = 0; j < n; j++, ai += as, bi += bs) out[o + j] = a[ai] === b[bi] ? 1 : 0;
  },
};

/** Strides of `shape` seen from the broadcast shape `full` (0 along broadcast axes). */
function broadcastStrides(shape: number[], full: number[]): number[] {
  const offset = full.length - shape.length;
  const strides = new Array(full.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i + offset] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

/**
 * Float32 binary ops with NumPy broadcasting, walked row by row with an odometer over the outer
 * axes instead of the stock kernel's per-element index decomposition.
 */
function binary(name: string, { inputs, backend }: KernelArgs): tf.TensorInfo | null {
  const { a, b } = inputs;
  if (a.dtype !== "float32" || b.dtype !== "float32") return null;
  const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const size = sizeOf(shape);
  const out = name === "Equal" ? new Uint8Array(size) : new Float32Array(size);
  const av = valuesOf(backend, a);
  const bv = valuesOf(backend, b);
  const rowOp = ROW_OPS[name];
  if (size === 0) return backend.makeTensorInfo(shape, name === "Equal" ? "bool" : "float32", out);
  if (shape.length === 0) {
    rowOp(out, 0, av, 0, 0, bv, 0, 0, 1);
    return backend.makeTensorInfo(shape, name === "Equal" ? "bool" : "float32", out);
  }
  // Same shapes, or a scalar on either side (Adam, dropout, batch norm): one flat loop.
  const aSize = sizeOf(a.shape);
  const bSize = sizeOf(b.shape);
  if ((aSize === size || aSize === 1) && (bSize === size || bSize === 1)) {
    rowOp(out, 0, av, 0, aSize === 1 ? 0 : 1, bv, 0, bSize === 1 ? 0 : 1, size);
    return backend.makeTensorInfo(shape, name === "Equal" ? "bool" : "float32", out);
  }
  const sa = broadcastStrides(a.shape, shape);
  const sb = broadcastStrides(b.shape, shape);
  const last = shape.length - 1;
  const n = shape[last];
  const counter = new Array(last).fill(0);
  let ai = 0;
  let bi = 0;
  for (let o = 0; o < size; o += n) {
    rowOp(out, o, av, ai, sa[last], bv, bi, sb[last], n);
    for (let d = last - 1; d >= 0; d--) {
      counter[d]++;
      ai += sa[d];
      bi += sb[d];
      if (counter[d] < shape[d]) break;
      ai -= sa[d] * shape[d];
      bi -= sb[d] * shape[d];
      counter[d] = 0;
    }
  }
  return backend.makeTensorInfo(shape, name === "Equal" ? "bool" : "float32", out);
}

/** A reduction's output shape, and its walk over the input one innermost row at a time. */
interface Reduction {
  outShape: number[];
  outSize: number;
  /** Output stride along the innermost axis: 0 when that axis is reduced, else 1. */
  innerStride: number;
  /** Calls `row(start, n, outIndex)` for every innermost row of the input, in memory order. */
  walk(row: (start: number, n: number, outIndex: number) => void): void;
}

function reduction(shape: number[], axes: number[], keepDims: boolean): Reduction {
  const reduced = shape.map((_, i) => axes.includes(i));
  const outShape = keepDims
    ? shape.map((d, i) => (reduced[i] ? 1 : d))
    : shape.filter((_, i) => !reduced[i]);
  const outStrides = broadcastStrides(shape.map((d, i) => (reduced[i] ? 1 : d)), shape);
  const last = shape.length - 1;
  const n = shape[last];
  const size = sizeOf(shape);
  return {
    outShape,
    outSize: sizeOf(outShape),
    innerStride: outStrides[last],
    walk(row) {
      const counter = new Array(last).fill(0);
      let oi = 0;
      for (let i = 0; i < size; i += n) {
        row(i, n, oi);
        for (let d = last - 1; d >= 0; d--) {
          counter[d]++;
          oi += outStrides[d];
          if (counter[d] < shape[d]) break;
          oi -= outStrides[d] * shape[d];
          counter[d] = 0;
        }
      }
    },
  };
}

/** Sum or mean of float32 over any axes, accumulated in double precision. */
function reduce(mean: boolean, { inputs, backend, attrs }: KernelArgs): tf.TensorInfo | null {
  const { x } = inputs;
  if (x.dtype !== "float32" || x.shape.length === 0) return null;
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
  const r = reduction(x.shape, axes, attrs.keepDims === true);
  const acc = new Float64Array(r.outSize);
  const xv = valuesOf(backend, x);
  r.walk((i, n, oi) => {
    if (r.innerStride === 0) {
      let s = 0;
      for (let j = 0; j < n; j++) s += xv[i + j];
      acc[oi] += s;
    } else {
      for (let j = 0; j < n; j++) acc[oi + j] += xv[i + j];
    }
  });
  const count = sizeOf(x.shape) / Math.max(1, acc.length);
  const out = new Float32Array(acc.length);
  for (let i = 0; i < out.length; i++) out[i] = mean ? acc[i] / count : acc[i];
  return backend.makeTensorInfo(r.outShape, "float32", out);
}

/**
 * SplitV of float32 (the gradient of concatenating mean and max pooling): contiguous runs are
 * copied whole; the stock kernel indexes every element through a TensorBuffer.
 */
function splitV({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] | null {
  const { x } = inputs;
  if (x.dtype !== "float32" || x.shape.length === 0) return null;
  const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(
    x as tf.Tensor,
    attrs.numOrSizeSplits as number | number[],
    axis,
  );
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const rowIn = x.shape[axis] * inner;
  const xv = valuesOf(backend, x);
  let start = 0;
  return sizes.map((size) => {
    const shape = x.shape.slice();
    shape[axis] = size;
    const run = size * inner;
    const out = new Float32Array(outer * run);
    for (let o = 0; o < outer; o++) {
      const from = o * rowIn + start * inner;
      out.set(xv.subarray(from, from + run), o * run);
    }
    start += size;
    return backend.makeTensorInfo(shape, "float32", out);
  });
}

/**
 * Max of float32 over any axes (global max pooling over time), NaN winning as in the stock
 * kernel.
 */
function reduceMax({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | null {
  const { x } = inputs;
  if (x.dtype !== "float32" || x.shape.length === 0 || sizeOf(x.shape) === 0) return null;
  const axes = tf.util.parseAxisParam(attrs.reductionIndices as number | number[], x.shape);
  const r = reduction(x.shape, axes, attrs.keepDims === true);
  const out = new Float32Array(r.outSize).fill(-Infinity);
  const xv = valuesOf(backend, x);
  r.walk((i, n, oi) => {
    for (let j = 0; j < n; j++) {
      const o = oi + j * r.innerStride;
      const v = xv[i + j];
      if (v > out[o] || v !== v) out[o] = v;
    }
  });
  return backend.makeTensorInfo(r.outShape, "float32", out);
}

/**
 * Tile of float32 (what broadcastTo and the gradients of sums and means lower to): each input
 * row is copied into place, then every finished block is repeated with copyWithin, so the work
 * is a few memmoves instead of an index decomposition per element.
 */
function tile({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | null {
  const { x } = inputs;
  const reps = attrs.reps as number[];
  if (x.dtype !== "float32" || x.shape.length === 0 || reps.length !== x.shape.length) return null;
  const shape = x.shape.map((d, i) => d * reps[i]);
  const out = new Float32Array(sizeOf(shape));
  if (out.length === 0) return backend.makeTensorInfo(shape, "float32", out);
  const xv = valuesOf(backend, x);
  const rank = shape.length;
  const inStrides = new Array<number>(rank);
  const outStrides = new Array<number>(rank);
  for (let d = rank - 1, si = 1, so = 1; d >= 0; d--) {
    inStrides[d] = si;
    outStrides[d] = so;
    si *= x.shape[d];
    so *= shape[d];
  }
  const fill = (d: number, xi: number, oi: number): void => {
    const n = x.shape[d];
    if (d === rank - 1) out.set(xv.subarray(xi, xi + n), oi);
    else for (let i = 0; i < n; i++) fill(d + 1, xi + i * inStrides[d], oi + i * outStrides[d]);
    const block = n * outStrides[d];
    for (let r = 1; r < reps[d]; r++) out.copyWithin(oi + r * block, oi, oi + block);
  };
  fill(0, 0, 0);
  return backend.makeTensorInfo(shape, "float32", out);
}

/** The same memory as 32-bit integers. */
function bitsOf(a: Float32Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length);
}

function relu({ inputs, backend }: KernelArgs): tf.TensorInfo | null {
  const { x } = inputs;
  if (x.dtype !== "float32") return null;
  const xv = valuesOf(backend, x);
  const out = new Float32Array(xv.length);
  // On the float's bits, branch-free: a data-dependent compare mispredicts on half the
  // activations (5x slower). The sign mask zeroes negatives and -0; NaN passes as in the stock
  // kernel's Math.max(0, x).
  const xb = bitsOf(xv);
  const ob = bitsOf(out);
  for (let i = 0; i < ob.length; i++) {
    const b = xb[i];
    ob[i] = (b & 0x7fffffff) > 0x7f800000 ? b : b & ~(b >> 31);
  }
  return backend.makeTensorInfo(x.shape, "float32", out);
}

/** Step with alpha 0 is ReLU's derivative; NaN stays NaN as in the stock kernel. */
function step({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | null {
  const { x } = inputs;
  if (x.dtype !== "float32") return null;
  const alpha = (attrs.alpha as number | undefined) ?? 0;
  const xv = valuesOf(backend, x);
  const out = new Float32Array(xv.length);
  if (alpha === 0) {
    // ReLU's derivative on the float's bits, as in relu: 1.0f where the bits are a positive
    // int (x > 0), 0 for zero and negatives (the second mask catches -0, whose negation
    // overflows), NaN kept.
    const xb = bitsOf(xv);
    const ob = bitsOf(out);
    for (let i = 0; i < ob.length; i++) {
      const b = xb[i];
      ob[i] = (b & 0x7fffffff) > 0x7f800000 ? b : 0x3f800000 & (-b >> 31) & ~(b >> 31);
    }
  } else {
    for (let i = 0; i < out.length; i++) {
      const v = xv[i];
      out[i] = v > 0 ? 1 : v !== v ? NaN : alpha;
    }
  }
  return backend.makeTensorInfo(x.shape, "float32", out);
}

/**
 * Unbatched float32 matmul (dense layers and their gradients, which arrive as rank 2 or as
 * rank 3 with a batch of one) through the injected GEMM.
 */
function batchMatMul(
  gemm: Gemm,
  { inputs, backend, attrs }: KernelArgs,
  rank2: boolean,
): tf.TensorInfo | null {
  const { a, b } = inputs;
  if (a.dtype !== "float32" || b.dtype !== "float32") return null;
  const rank = a.shape.length;
  if (rank !== b.shape.length || (rank !== 2 && rank !== 3) || (rank === 2 && !rank2)) return null;
  if (rank === 3 && (a.shape[0] !== 1 || b.shape[0] !== 1)) return null;
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const ta = attrs.transposeA === true;
  const tb = attrs.transposeB === true;
  const m = ta ? ac : ar;
  const k = ta ? ar : ac;
  const n = tb ? br : bc;
  if ((tb ? bc : br) !== k) return null; // the stock kernel words the shape error
  const out = new Float32Array(m * n);
  gemm.sgemm(ta, tb, m, n, k, valuesOf(backend, a), valuesOf(backend, b), out);
  return backend.makeTensorInfo(rank === 3 ? [1, m, n] : [m, n], "float32", out);
}
