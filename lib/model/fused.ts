/**
 * Fused training ops (`train.kernels=fused`): batch normalisation, ReLU and Adam as one pass each
 * over their data, with hand-written gradients, instead of tfjs's chains of element-wise kernels.
 * Batch norm in training mode was about a third of a temporal-network batch on the stock path:
 * moments, normalisation and their gradients lower to some 40 broadcasting kernels, each a full
 * pass over the activations and a fresh allocation; here the forward is two passes and the
 * gradient two.
 *
 * The model stays the same tfjs layers model: `fuseTrainingLayers` swaps the training-mode `call`
 * of its BatchNormalization and ReLU layer instances (inference, saving and loading untouched)
 * and gives them back afterwards. Pure tfjs, no Deno APIs; values are read with `dataSync`, which
 * on the cpu backend the trainer uses is the tensor's own buffer (never written to here).
 */
import * as tf from "@tensorflow/tfjs";

// deno-lint-ignore no-explicit-any
type AnyLayer = any;

function values(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

function bits(a: Float32Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length);
}

/**
 * Batch normalisation over every axis but the last, training mode: y = gamma * xhat + beta with
 * xhat = (x - mean) / sqrt(var + eps), batch mean and (biased) variance. Returns y and the batch
 * statistics (for the moving averages); the gradient flows to x, gamma and beta.
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): { y: tf.Tensor; mean: Float32Array; variance: Float32Array } {
  const channels = x.shape[x.shape.length - 1];
  const n = x.size / channels;
  const mean = new Float32Array(channels);
  const variance = new Float32Array(channels);
  const op = tf.customGrad((xIn, gIn, bIn, save) => {
    const xv = values(xIn as tf.Tensor);
    const g = values(gIn as tf.Tensor);
    const b = values(bIn as tf.Tensor);
    // Sums in double precision: a float32 running sum over 7,000 frames loses digits.
    const sum = new Float64Array(channels);
    for (let i = 0; i < xv.length; i += channels) {
      for (let c = 0; c < channels; c++) sum[c] += xv[i + c];
    }
    for (let c = 0; c < channels; c++) mean[c] = sum[c] / n;
    const sq = new Float64Array(channels);
    for (let i = 0; i < xv.length; i += channels) {
      for (let c = 0; c < channels; c++) {
        const d = xv[i + c] - mean[c];
        sq[c] += d * d;
      }
    }
    const rstd = new Float32Array(channels);
    const scale = new Float32Array(channels);
    const shift = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      variance[c] = sq[c] / n;
      rstd[c] = 1 / Math.sqrt(variance[c] + epsilon);
      scale[c] = g[c] * rstd[c];
      shift[c] = b[c] - mean[c] * scale[c];
    }
    const y = new Float32Array(xv.length);
    for (let i = 0; i < xv.length; i += channels) {
      for (let c = 0; c < channels; c++) y[i + c] = xv[i + c] * scale[c] + shift[c];
    }
    const stats = tf.tensor2d([...mean, ...rstd], [2, channels]);
    (save as tf.GradSaveFunc)([xIn as tf.Tensor, gIn as tf.Tensor, stats]);
    return {
      value: tf.tensor(y, (xIn as tf.Tensor).shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, gs, st] = saved;
        const xv2 = values(xs);
        const g2 = values(gs);
        const s = values(st);
        const dyv = values(dy);
        const dBeta = new Float64Array(channels);
        const dGamma = new Float64Array(channels);
        for (let i = 0; i < xv2.length; i += channels) {
          for (let c = 0; c < channels; c++) {
            const d = dyv[i + c];
            dBeta[c] += d;
            dGamma[c] += d * (xv2[i + c] - s[c]) * s[channels + c];
          }
        }
        // dx = gamma * rstd * (dy - mean(dy) - xhat * mean(dy * xhat))
        const k = new Float32Array(channels);
        const mDy = new Float32Array(channels);
        const mDyX = new Float32Array(channels);
        for (let c = 0; c < channels; c++) {
          k[c] = g2[c] * s[channels + c];
          mDy[c] = dBeta[c] / n;
          mDyX[c] = dGamma[c] / n;
        }
        const dx = new Float32Array(xv2.length);
        for (let i = 0; i < xv2.length; i += channels) {
          for (let c = 0; c < channels; c++) {
            const xhat = (xv2[i + c] - s[c]) * s[channels + c];
            dx[i + c] = k[c] * (dyv[i + c] - mDy[c] - xhat * mDyX[c]);
          }
        }
        return [
          tf.tensor(dx, xs.shape),
          tf.tensor1d(Float32Array.from(dGamma)),
          tf.tensor1d(Float32Array.from(dBeta)),
        ];
      },
    };
  });
  const y = op(x, gamma, beta) as tf.Tensor;
  return { y, mean, variance };
}

/** ReLU whose gradient is one pass (dy where y > 0), not Step then Multiply. */
export const reluFused = tf.customGrad((xIn, save) => {
  const y = tf.relu(xIn as tf.Tensor);
  (save as tf.GradSaveFunc)([y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const y = bits(values(saved[0]));
      const d = bits(values(dy));
      const dx = new Float32Array(y.length);
      const out = bits(dx);
      // Branch-free on the bits (a compare mispredicts on half the activations): y >= 0 after a
      // ReLU, so y > 0 exactly when its bits are a positive int; -0's bits are negative.
      for (let i = 0; i < out.length; i++) {
        const b = y[i];
        out[i] = d[i] & (-b >> 31) & ~(b >> 31);
      }
      return [tf.tensor(dx, dy.shape)];
    },
  };
}) as (x: tf.Tensor) => tf.Tensor;

/**
 * Swap the training-mode computation of `model`'s BatchNormalization (last-axis, center and
 * scale) and ReLU (no max value) layers for the fused ops; other layers and inference keep
 * tfjs's own. Returns a function that puts the layers back as they were.
 */
export function fuseTrainingLayers(model: tf.LayersModel): () => void {
  const undo: (() => void)[] = [];
  for (const layer of model.layers as AnyLayer[]) {
    const kind = layer.getClassName();
    const stockCall = layer.call;
    if (kind === "BatchNormalization" && layer.center && layer.scale) {
      layer.call = function (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const axis = layer.axis < 0 ? layer.axis + x.rank : layer.axis;
        if (!kwargs?.training || axis !== x.rank - 1) return stockCall.call(layer, inputs, kwargs);
        const { y, mean, variance } = batchNormTraining(
          x,
          layer.gamma.read(),
          layer.beta.read(),
          layer.epsilon,
        );
        // Keras's moving averages: m <- m - (m - batch) * (1 - momentum).
        const decay = 1 - layer.momentum;
        for (const [v, batch] of [[layer.movingMean, mean], [layer.movingVariance, variance]]) {
          tf.tidy(() => {
            const old = v.read() as tf.Tensor;
            v.write(tf.sub(old, tf.mul(tf.sub(old, tf.tensor1d(batch as Float32Array)), decay)));
          });
        }
        return y;
      };
    } else if (kind === "ReLU" && layer.maxValue == null) {
      layer.call = function (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) {
        if (!kwargs?.training) return stockCall.call(layer, inputs, kwargs);
        return reluFused(Array.isArray(inputs) ? inputs[0] : inputs);
      };
    } else continue;
    undo.push(() => (layer.call = stockCall));
  }
  return () => undo.forEach((f) => f());
}

/**
 * Adam as tfjs's `AdamOptimizer` computes it (bias corrections from running beta powers kept in
 * float32, epsilon added to the corrected root), one loop per variable and no temporaries.
 */
export class FusedAdam {
  private m = new Map<string, Float32Array>();
  private v = new Map<string, Float32Array>();
  private accBeta1: number;
  private accBeta2: number;

  constructor(
    public learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = tf.backend().epsilon(),
  ) {
    this.accBeta1 = Math.fround(beta1);
    this.accBeta2 = Math.fround(beta2);
  }

  /** One step: `f`'s gradients applied to the trainable variables it reads; returns f's value. */
  minimize(f: () => tf.Scalar): tf.Scalar {
    const { value, grads } = tf.variableGrads(f);
    const c1 = Math.fround(1 - this.accBeta1);
    const c2 = Math.fround(1 - this.accBeta2);
    const b1 = this.beta1;
    const b2 = this.beta2;
    const lr = this.learningRate;
    const eps = this.epsilon;
    for (const [name, grad] of Object.entries(grads)) {
      const variable = tf.engine().registeredVariables[name];
      const g = values(grad);
      const w = values(variable);
      let m = this.m.get(name);
      let v = this.v.get(name);
      if (!m || !v) {
        m = new Float32Array(g.length);
        v = new Float32Array(g.length);
        this.m.set(name, m);
        this.v.set(name, v);
      }
      const out = new Float32Array(w.length);
      for (let i = 0; i < g.length; i++) {
        const gi = g[i];
        m[i] = m[i] * b1 + gi * (1 - b1);
        v[i] = v[i] * b2 + gi * gi * (1 - b2);
        out[i] = w[i] - (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
      }
      tf.tidy(() => variable.assign(tf.tensor(out, variable.shape)));
    }
    tf.dispose(grads);
    this.accBeta1 = Math.fround(this.accBeta1 * b1);
    this.accBeta2 = Math.fround(this.accBeta2 * b2);
    return value;
  }
}
