/**
 * Batch normalisation for the static trainer: training-mode forward and backward over flat
 * channels-last buffers, and the inference form. The passes over the activations come in two
 * implementations with the same bits: JavaScript here (`jsBatchNormPasses`) and WebAssembly SIMD
 * (`lib/wasm/train_arena.ts`); the per-channel arithmetic between them is this file's. Pure: no
 * tfjs, no Deno APIs. Sums are in double precision, as `fused.ts` sums them.
 */

/**
 * The passes over a batch norm's activations, as one engine computes them: this file's
 * JavaScript (`jsBatchNormPasses`) or the WebAssembly SIMD kernels (`lib/wasm/train_arena.ts`),
 * which give the same bits. The per-channel arithmetic between them is `batchNormForward`'s and
 * `batchNormBackward`'s own.
 */
export interface BatchNormPasses {
  /** Per channel: sum and sum of squares over `count` positions, in double precision. */
  sums(
    x: Float32Array,
    count: number,
    channels: number,
    sum: Float64Array,
    sumSq: Float64Array,
  ): void;
  /** y = x scale + shift (a float32 product, then a sum), ReLU when asked. */
  normalize(
    x: Float32Array,
    count: number,
    channels: number,
    scale: Float32Array,
    shift: Float32Array,
    relu: boolean,
    y: Float32Array,
  ): void;
  /** dy masked in place where y (a ReLU's output, when given) is not positive; sum dy, sum dy x. */
  backSums(
    x: Float32Array,
    y: Float32Array | null,
    dy: Float32Array,
    count: number,
    channels: number,
    sumDy: Float64Array,
    sumDyX: Float64Array,
  ): void;
  /** dx = (a dy + b x) + e per channel, in float32 steps. */
  backDx(
    x: Float32Array,
    dy: Float32Array,
    count: number,
    channels: number,
    a: Float32Array,
    b: Float32Array,
    e: Float32Array,
    dx: Float32Array,
  ): void;
}

export const jsBatchNormPasses: BatchNormPasses = {
  sums(x, count, channels, sum, sumSq) {
    const n = count * channels;
    const c4 = 4 * channels;
    sum.fill(0, 0, channels);
    sumSq.fill(0, 0, channels);
    let i = 0;
    // four positions at a time: (a + b) + (d + e)
    for (; i + c4 <= n; i += c4) {
      for (let c = 0; c < channels; c++) {
        const a = x[i + c];
        const b = x[i + channels + c];
        const d = x[i + 2 * channels + c];
        const e = x[i + 3 * channels + c];
        sum[c] += (a + b) + (d + e);
        sumSq[c] += (a * a + b * b) + (d * d + e * e);
      }
    }
    for (; i < n; i += channels) {
      for (let c = 0; c < channels; c++) {
        const a = x[i + c];
        sum[c] += a;
        sumSq[c] += a * a;
      }
    }
  },
  normalize(x, count, channels, scale, shift, relu, y) {
    const n = count * channels;
    // float32 steps (a product, then a sum), as a float32x4 kernel computes them
    const fr = Math.fround;
    if (relu) {
      for (let i = 0; i < n; i += channels) {
        for (let c = 0; c < channels; c++) {
          const v = fr(fr(x[i + c] * scale[c]) + shift[c]);
          y[i + c] = v > 0 ? v : 0;
        }
      }
    } else {
      for (let i = 0; i < n; i += channels) {
        for (let c = 0; c < channels; c++) y[i + c] = fr(x[i + c] * scale[c]) + shift[c];
      }
    }
  },
  backSums(x, y, dy, count, channels, sumDy, sumDyX) {
    const n = count * channels;
    sumDy.fill(0, 0, channels);
    sumDyX.fill(0, 0, channels);
    if (y) {
      for (let i = 0; i < n; i += channels) {
        for (let c = 0; c < channels; c++) {
          const d = y[i + c] > 0 ? dy[i + c] : 0;
          dy[i + c] = d;
          sumDy[c] += d;
          sumDyX[c] += d * x[i + c];
        }
      }
    } else {
      for (let i = 0; i < n; i += channels) {
        for (let c = 0; c < channels; c++) {
          const d = dy[i + c];
          sumDy[c] += d;
          sumDyX[c] += d * x[i + c];
        }
      }
    }
  },
  backDx(x, dy, count, channels, a, b, e, dx) {
    const n = count * channels;
    const fr = Math.fround;
    for (let i = 0; i < n; i += channels) {
      for (let c = 0; c < channels; c++) {
        dx[i + c] = fr(fr(a[c] * dy[i + c]) + fr(b[c] * x[i + c])) + e[c];
      }
    }
  },
};

/** Per-channel buffers of a batch norm's passes (sums in double precision). */
export interface BatchNormScratch {
  sumA: Float64Array;
  sumB: Float64Array;
  mean: Float32Array;
  variance: Float32Array;
  rstd: Float32Array;
  /** scale and shift in the forward pass; two of the backward pass's coefficients */
  scale: Float32Array;
  shift: Float32Array;
  k: Float32Array;
}

/**
 * Batch normalisation in training mode over `count` positions of `channels`: batch mean and
 * biased variance (from double-precision sums), y = gamma xhat + beta, ReLU when asked. Leaves
 * mean, variance and 1/sqrt(var + eps) in `st` for the backward pass and the moving averages.
 */
export function batchNormForward(
  passes: BatchNormPasses,
  x: Float32Array,
  count: number,
  channels: number,
  gamma: Float32Array,
  gammaAt: number,
  beta: Float32Array,
  betaAt: number,
  epsilon: number,
  relu: boolean,
  y: Float32Array,
  st: BatchNormScratch,
): void {
  passes.sums(x, count, channels, st.sumA, st.sumB);
  for (let c = 0; c < channels; c++) {
    const m = st.sumA[c] / count;
    st.mean[c] = m;
    st.variance[c] = Math.max(0, st.sumB[c] / count - m * m);
    st.rstd[c] = 1 / Math.sqrt(st.variance[c] + epsilon);
    st.scale[c] = gamma[gammaAt + c] * st.rstd[c];
    st.shift[c] = beta[betaAt + c] - st.mean[c] * st.scale[c];
  }
  passes.normalize(x, count, channels, st.scale, st.shift, relu, y);
}

/**
 * Batch norm's gradients from dy, through the ReLU first when `y` (the ReLU's output) is
 * given: dgamma and dbeta added into `grads`, and dx = gamma rstd (dy - mean(dy) - xhat
 * mean(dy xhat)) written to dx, as a per-channel a dy + b x + e.
 */
export function batchNormBackward(
  passes: BatchNormPasses,
  x: Float32Array,
  y: Float32Array | null,
  dy: Float32Array,
  count: number,
  channels: number,
  gamma: Float32Array,
  gammaAt: number,
  grads: Float32Array,
  dGammaAt: number,
  dBetaAt: number,
  dx: Float32Array,
  st: BatchNormScratch,
): void {
  passes.backSums(x, y, dy, count, channels, st.sumA, st.sumB);
  const { mean, rstd } = st;
  const a = st.k;
  const b = st.scale;
  const e = st.shift;
  for (let c = 0; c < channels; c++) {
    // sum dy xhat = rstd (sum dy x - mean sum dy)
    const sumDy = st.sumA[c];
    const dyXhat = rstd[c] * (st.sumB[c] - mean[c] * sumDy);
    grads[dGammaAt + c] += dyXhat;
    grads[dBetaAt + c] += sumDy;
    const k = gamma[gammaAt + c] * rstd[c];
    const mDy = sumDy / count;
    const mDyX = dyXhat / count;
    a[c] = k;
    b[c] = -k * rstd[c] * mDyX;
    e[c] = -k * mDy + k * rstd[c] * mDyX * mean[c];
  }
  passes.backDx(x, dy, count, channels, a, b, e, dx);
}

/** Inference-mode batch norm from the moving statistics (as tfjs's batchNorm computes it). */
export function batchNormInference(
  x: Float32Array,
  count: number,
  channels: number,
  w: Float32Array,
  gammaAt: number,
  betaAt: number,
  meanAt: number,
  varAt: number,
  epsilon: number,
  relu: boolean,
  y: Float32Array,
): void {
  const n = count * channels;
  for (let i = 0; i < n; i += channels) {
    for (let c = 0; c < channels; c++) {
      const v = (x[i + c] - w[meanAt + c]) * (1 / Math.sqrt(w[varAt + c] + epsilon)) *
          w[gammaAt + c] + w[betaAt + c];
      y[i + c] = relu && !(v > 0) ? 0 : v;
    }
  }
}
