/**
 * The static trainer's kernels: forward and backward passes of each op over flat channels-last
 * Float32Arrays ([rows, frames, channels], row-major), writing into buffers the caller owns.
 * Pure: no tfjs, no Deno APIs; the matrix products go through the `Gemm` the caller passes.
 *
 * The arithmetic follows what tfjs computes for the same layer (the reference the tests hold
 * these to): ties in max pooling resolved to the first frame, Adam with tfjs's float32 bias
 * corrections. Batch normalisation has its own module (`batch_norm.ts`).
 *
 * Over 400 lines on purpose: each op's forward pass sits beside its backward pass, so a reader
 * checks one against the other in one place.
 */

/**
 * cols[(b L + t), j C + c] = x[b, t + j d - padLeft, c], 0 outside the clip (d: the dilation):
 * a same-padded convolution's windows, one row per output frame, so the convolution is one
 * product. Channels-last makes each undilated window one contiguous run of the input.
 */
export function im2col(
  x: Float32Array,
  rows: number,
  length: number,
  channels: number,
  width: number,
  padLeft: number,
  cols: Float32Array,
  dilation = 1,
): void {
  if (dilation !== 1) {
    im2colDilated(x, rows, length, channels, width, padLeft, cols, dilation);
    return;
  }
  const k = width * channels;
  const clip = length * channels;
  for (let b = 0; b < rows; b++) {
    const xb = b * clip;
    for (let t = 0; t < length; t++) {
      const row = (b * length + t) * k;
      const s0 = t - padLeft;
      const lo = s0 < 0 ? -s0 : 0;
      const hi = s0 + width > length ? length - s0 : width;
      if (lo > 0) cols.fill(0, row, row + lo * channels);
      const from = xb + (s0 + lo) * channels;
      const n = (hi - lo) * channels;
      if (n < 32) {
        const at = row + lo * channels;
        for (let i = 0; i < n; i++) cols[at + i] = x[from + i];
      } else cols.set(x.subarray(from, from + n), row + lo * channels);
      if (hi < width) cols.fill(0, row + hi * channels, row + k);
    }
  }
}

/** `im2col` with taps `dilation` frames apart: each tap is its own run of `channels` values. */
function im2colDilated(
  x: Float32Array,
  rows: number,
  length: number,
  channels: number,
  width: number,
  padLeft: number,
  cols: Float32Array,
  dilation: number,
): void {
  const k = width * channels;
  for (let b = 0; b < rows; b++) {
    const xb = b * length * channels;
    for (let t = 0; t < length; t++) {
      const row = (b * length + t) * k;
      for (let j = 0; j < width; j++) {
        const s = t + j * dilation - padLeft;
        const at = row + j * channels;
        if (s < 0 || s >= length) cols.fill(0, at, at + channels);
        else {
          const from = xb + s * channels;
          for (let c = 0; c < channels; c++) cols[at + c] = x[from + c];
        }
      }
    }
  }
}

/**
 * The kernel a convolution's input gradient is a convolution with: taps reversed and the two
 * channel axes swapped, so dx = im2col(dy, padded on the other side) x flipped.
 * kernel: [width, cin, cout] -> flipped: [width, cout, cin].
 */
export function flipKernel(
  kernel: Float32Array,
  width: number,
  cin: number,
  cout: number,
  flipped: Float32Array,
): void {
  for (let j = 0; j < width; j++) {
    const src = j * cin * cout;
    const dst = (width - 1 - j) * cout * cin;
    for (let c = 0; c < cin; c++) {
      const s = src + c * cout;
      for (let o = 0; o < cout; o++) flipped[dst + o * cin + c] = kernel[s + o];
    }
  }
}

/** y[r, c] += bias[c], then ReLU when asked, over `count` rows of `channels`. */
export function addBiasRelu(
  y: Float32Array,
  count: number,
  channels: number,
  bias: Float32Array | null,
  biasAt: number,
  relu: boolean,
): void {
  const n = count * channels;
  if (bias) {
    for (let i = 0; i < n; i += channels) {
      for (let c = 0; c < channels; c++) y[i + c] += bias[biasAt + c];
    }
  }
  if (relu) { for (let i = 0; i < n; i++) if (!(y[i] > 0)) y[i] = 0; }
}

/** dy zeroed where the ReLU output y was not positive (in place). */
export function reluBackward(y: Float32Array, dy: Float32Array, n: number): void {
  const yb = new Int32Array(y.buffer, y.byteOffset, n);
  const db = new Int32Array(dy.buffer, dy.byteOffset, n);
  // Branch-free on the bits: y >= 0 after a ReLU, and y > 0 exactly when its bits are a
  // positive int (-0's are negative).
  for (let i = 0; i < n; i++) {
    const b = yb[i];
    db[i] = db[i] & (-b >> 31) & ~(b >> 31);
  }
}

/** Column sums of dy ([count, channels]) added into out[at..]. */
export function addColumnSums(
  dy: Float32Array,
  count: number,
  channels: number,
  out: Float32Array,
  at: number,
  scratch: Float64Array,
): void {
  scratch.fill(0, 0, channels);
  const n = count * channels;
  for (let i = 0; i < n; i += channels) {
    for (let c = 0; c < channels; c++) scratch[c] += dy[i + c];
  }
  for (let c = 0; c < channels; c++) out[at + c] += scratch[c];
}

/**
 * Max pooling over time with "same" or "valid" windows: y and, per output value, the input
 * index it came from (the first of equal values, as tfjs picks).
 */
export function maxPoolForward(
  x: Float32Array,
  rows: number,
  length: number,
  channels: number,
  pool: number,
  stride: number,
  padLeft: number,
  outLength: number,
  y: Float32Array,
  arg: Int32Array,
): void {
  for (let b = 0; b < rows; b++) {
    const xb = b * length * channels;
    for (let t = 0; t < outLength; t++) {
      const s0 = Math.max(0, t * stride - padLeft);
      const s1 = Math.min(length, t * stride - padLeft + pool);
      const out = (b * outLength + t) * channels;
      const first = xb + s0 * channels;
      for (let c = 0; c < channels; c++) {
        y[out + c] = x[first + c];
        arg[out + c] = first + c;
      }
      for (let s = s0 + 1; s < s1; s++) {
        const at = xb + s * channels;
        for (let c = 0; c < channels; c++) {
          const v = x[at + c];
          if (v > y[out + c]) {
            y[out + c] = v;
            arg[out + c] = at + c;
          }
        }
      }
    }
  }
}

/** dx = 0, then each output's gradient added at the index it came from. */
export function maxPoolBackward(
  dy: Float32Array,
  arg: Int32Array,
  outCount: number,
  dx: Float32Array,
  inCount: number,
): void {
  dx.fill(0, 0, inCount);
  for (let i = 0; i < outCount; i++) dx[arg[i]] += dy[i];
}

/**
 * Mean, max, attention and standard-deviation pooling over frames, side by side in `modes` order:
 * out row b holds [mean c..., max c..., ...]. Attention: score_t = h_t . w, a = softmax over t,
 * sum_t a_t h_t. Std: sqrt(mean_t (h_t - mean)^2 + STD_POOL_EPSILON). Writes argmax indices and
 * attention weights for the backward pass.
 */
export function timePoolForward(
  h: Float32Array,
  rows: number,
  length: number,
  channels: number,
  modes: readonly string[],
  w: Float32Array,
  attentionAt: number,
  y: Float32Array,
  arg: Int32Array,
  weights: Float32Array,
): void {
  const width = modes.length * channels;
  for (let b = 0; b < rows; b++) {
    const hb = b * length * channels;
    for (let mi = 0; mi < modes.length; mi++) {
      const out = b * width + mi * channels;
      const mode = modes[mi];
      if (mode === "mean") {
        for (let c = 0; c < channels; c++) y[out + c] = 0;
        for (let t = 0; t < length; t++) {
          const at = hb + t * channels;
          for (let c = 0; c < channels; c++) y[out + c] += h[at + c];
        }
        for (let c = 0; c < channels; c++) y[out + c] /= length;
      } else if (mode === "std") {
        channelSpread(h, hb, length, channels, y, out);
      } else if (mode === "max") {
        const ab = b * channels;
        for (let c = 0; c < channels; c++) {
          y[out + c] = h[hb + c];
          arg[ab + c] = hb + c;
        }
        for (let t = 1; t < length; t++) {
          const at = hb + t * channels;
          for (let c = 0; c < channels; c++) {
            if (h[at + c] > y[out + c]) {
              y[out + c] = h[at + c];
              arg[ab + c] = at + c;
            }
          }
        }
      } else {
        const wb = b * length;
        let top = -Infinity;
        for (let t = 0; t < length; t++) {
          const at = hb + t * channels;
          let s = 0;
          for (let c = 0; c < channels; c++) s += h[at + c] * w[attentionAt + c];
          weights[wb + t] = s;
          if (s > top) top = s;
        }
        let total = 0;
        for (let t = 0; t < length; t++) {
          const e = Math.exp(weights[wb + t] - top);
          weights[wb + t] = e;
          total += e;
        }
        for (let t = 0; t < length; t++) weights[wb + t] /= total;
        for (let c = 0; c < channels; c++) y[out + c] = 0;
        for (let t = 0; t < length; t++) {
          const at = hb + t * channels;
          const a = weights[wb + t];
          for (let c = 0; c < channels; c++) y[out + c] += a * h[at + c];
        }
      }
    }
  }
}

/** Added under std pooling's square root, so a constant channel has a finite gradient. */
export const STD_POOL_EPSILON = 1e-5;

/**
 * Each channel's spread over the frames of one row (frames from `hb`): std into `y` from `out`,
 * and the channel means into `mean` when given. Float64 sums: a float32 variance of values far
 * from zero loses its digits.
 */
function channelSpread(
  h: Float32Array,
  hb: number,
  length: number,
  channels: number,
  y: Float32Array,
  out: number,
  mean?: Float32Array,
): void {
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let t = 0; t < length; t++) sum += h[hb + t * channels + c];
    const m = sum / length;
    let sq = 0;
    for (let t = 0; t < length; t++) {
      const d = h[hb + t * channels + c] - m;
      sq += d * d;
    }
    y[out + c] = Math.sqrt(sq / length + STD_POOL_EPSILON);
    if (mean) mean[c] = m;
  }
}

/** dh from the pooled gradient dy; the attention vector's gradient added into `grads`. */
export function timePoolBackward(
  h: Float32Array,
  dy: Float32Array,
  rows: number,
  length: number,
  channels: number,
  modes: readonly string[],
  w: Float32Array,
  attentionAt: number,
  arg: Int32Array,
  weights: Float32Array,
  grads: Float32Array,
  dh: Float32Array,
  scratch: Float32Array,
): void {
  const width = modes.length * channels;
  dh.fill(0, 0, rows * length * channels);
  for (let b = 0; b < rows; b++) {
    const hb = b * length * channels;
    for (let mi = 0; mi < modes.length; mi++) {
      const g = b * width + mi * channels;
      const mode = modes[mi];
      if (mode === "mean") {
        for (let t = 0; t < length; t++) {
          const at = hb + t * channels;
          for (let c = 0; c < channels; c++) dh[at + c] += dy[g + c] / length;
        }
      } else if (mode === "max") {
        const ab = b * channels;
        for (let c = 0; c < channels; c++) dh[arg[ab + c]] += dy[g + c];
      } else if (mode === "std") {
        // d std / d h_t = (h_t - mean) / (length std); the mean's own dependence cancels.
        const mean = scratch.subarray(0, channels);
        const std = scratch.subarray(channels, 2 * channels);
        channelSpread(h, hb, length, channels, std, 0, mean);
        for (let t = 0; t < length; t++) {
          const at = hb + t * channels;
          for (let c = 0; c < channels; c++) {
            dh[at + c] += (dy[g + c] * (h[at + c] - mean[c])) / (length * std[c]);
          }
        }
      } else {
        // da_t = g . h_t; de_t = a_t (da_t - sum a da); dh_t += a_t g + de_t w; dw += de_t h_t.
        const wb = b * length;
        let mean = 0;
        for (let t = 0; t < length; t++) {
          const at = hb + t * channels;
          let s = 0;
          for (let c = 0; c < channels; c++) s += dy[g + c] * h[at + c];
          scratch[t] = s;
          mean += weights[wb + t] * s;
        }
        for (let t = 0; t < length; t++) {
          const at = hb + t * channels;
          const a = weights[wb + t];
          const de = a * (scratch[t] - mean);
          for (let c = 0; c < channels; c++) {
            dh[at + c] += a * dy[g + c] + de * w[attentionAt + c];
            grads[attentionAt + c] += de * h[at + c];
          }
        }
      }
    }
  }
}

/**
 * Dropout's mask for `n` values: 1/(1 - rate) kept, 0 dropped, drawn from `uniform`; y = x mask.
 */
export function dropoutForward(
  x: Float32Array,
  n: number,
  rate: number,
  uniform: () => number,
  mask: Float32Array,
  y: Float32Array,
): void {
  const keep = Math.fround(1 / (1 - rate));
  for (let i = 0; i < n; i++) {
    const m = uniform() < rate ? 0 : keep;
    mask[i] = m;
    y[i] = x[i] * m;
  }
}

/** Row-wise softmax of `count` rows of `classes` logits, in place. */
export function softmaxRows(z: Float32Array, count: number, classes: number): void {
  for (let r = 0; r < count; r++) {
    const at = r * classes;
    let top = -Infinity;
    for (let c = 0; c < classes; c++) if (z[at + c] > top) top = z[at + c];
    let total = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(z[at + c] - top);
      z[at + c] = e;
      total += e;
    }
    for (let c = 0; c < classes; c++) z[at + c] /= total;
  }
}

/**
 * Keras's categorical cross-entropy on probabilities clipped to [1e-7, 1 - 1e-7], mean over the
 * rows, targets weighted by their class's weight when `classWeights` is given; its gradient with
 * respect to the logits before the softmax goes to dz. Returns the loss and the rows whose most
 * probable class is the target's (first of equals, as argMax).
 */
export function crossEntropyBackward(
  p: Float32Array,
  target: Float32Array,
  count: number,
  classes: number,
  classWeights: Float32Array | null,
  dz: Float32Array,
): { loss: number; hits: number } {
  const lo = Math.fround(1e-7);
  const hi = Math.fround(1 - 1e-7);
  let loss = 0;
  let hits = 0;
  for (let r = 0; r < count; r++) {
    const at = r * classes;
    let rowLoss = 0;
    let dot = 0;
    let bestP = 0;
    let bestT = 0;
    for (let c = 0; c < classes; c++) {
      const pc = p[at + c];
      const t = classWeights ? target[at + c] * classWeights[c] : target[at + c];
      const clipped = pc < lo ? lo : pc > hi ? hi : pc;
      rowLoss -= t * Math.log(clipped);
      // d loss / d p: -t / p / count inside the clip range, 0 where the clip held it.
      const dp = pc >= lo && pc <= hi ? -t / clipped / count : 0;
      dz[at + c] = dp;
      dot += dp * pc;
      if (pc > p[at + bestP]) bestP = c;
      if (target[at + c] > target[at + bestT]) bestT = c;
    }
    for (let c = 0; c < classes; c++) dz[at + c] = p[at + c] * (dz[at + c] - dot);
    loss += rowLoss;
    if (bestP === bestT) hits++;
  }
  return { loss: loss / count, hits };
}

/**
 * Adam over w[0, n) in one pass, as tfjs's AdamOptimizer computes it: m and v updated, the step
 * lr (m / c1) / (sqrt(v / c2) + eps) with c1 = 1 - beta1^t and c2 = 1 - beta2^t kept in float32.
 */
export function adamStep(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  n: number,
  lr: number,
  beta1: number,
  beta2: number,
  c1: number,
  c2: number,
  epsilon: number,
): void {
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = Math.fround(m[i] * beta1 + gi * a1);
    const vi = Math.fround(v[i] * beta2 + gi * gi * a2);
    m[i] = mi;
    v[i] = vi;
    w[i] = w[i] - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + epsilon);
  }
}
