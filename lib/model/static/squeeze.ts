/**
 * Squeeze-excitation's forward and backward passes for the static trainer (the layer:
 * `../squeeze_excite.ts`), over channels-last rows [rows, frames, channels]: per row, the
 * channel means through a dense bottleneck (ReLU) and a dense layer back (sigmoid) give one gate
 * per channel, and every frame is scaled by it. The bottleneck is small (channels x channels / r
 * per row), so plain loops. Pure.
 */

/** Weights of one squeeze-excitation: [channels, hidden], [hidden], [hidden, channels], [channels]. */
export interface SqueezeWeights {
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

/** What the forward pass keeps for the backward one: per row, the means, bottleneck and gates. */
export interface SqueezeState {
  means: Float32Array;
  hidden: Float32Array;
  gates: Float32Array;
}

/** Row b's channel means, bottleneck and gates. */
function rowOf(state: SqueezeState, b: number, channels: number, units: number) {
  return {
    s: state.means.subarray(b * channels, (b + 1) * channels),
    z: state.hidden.subarray(b * units, (b + 1) * units),
    gate: state.gates.subarray(b * channels, (b + 1) * channels),
  };
}

export function squeezeForward(
  x: Float32Array,
  rows: number,
  length: number,
  channels: number,
  units: number,
  w: SqueezeWeights,
  state: SqueezeState,
  out: Float32Array,
): void {
  for (let b = 0; b < rows; b++) {
    const xb = b * length * channels;
    const { s, z, gate } = rowOf(state, b, channels, units);
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let t = 0; t < length; t++) sum += x[xb + t * channels + c];
      s[c] = sum / length;
    }
    for (let h = 0; h < units; h++) {
      let a = w.b1[h];
      for (let c = 0; c < channels; c++) a += s[c] * w.w1[c * units + h];
      z[h] = a > 0 ? a : 0;
    }
    for (let c = 0; c < channels; c++) {
      let a = w.b2[c];
      for (let h = 0; h < units; h++) a += z[h] * w.w2[h * channels + c];
      gate[c] = 1 / (1 + Math.exp(-a));
    }
    for (let t = 0; t < length; t++) {
      const at = xb + t * channels;
      for (let c = 0; c < channels; c++) out[at + c] = x[at + c] * gate[c];
    }
  }
}

/**
 * Gradients of the four weights (written, not added) and, when `dx` is given, of the input: each
 * frame's own share through its gate plus the gate's share spread evenly over the frames (the
 * mean's gradient).
 */
export function squeezeBackward(
  x: Float32Array,
  dy: Float32Array,
  rows: number,
  length: number,
  channels: number,
  units: number,
  w: SqueezeWeights,
  state: SqueezeState,
  grads: SqueezeWeights,
  dx: Float32Array | null,
  scratch: { dGate: Float64Array; dHidden: Float64Array },
): void {
  grads.w1.fill(0);
  grads.b1.fill(0);
  grads.w2.fill(0);
  grads.b2.fill(0);
  const { dGate, dHidden } = scratch;
  for (let b = 0; b < rows; b++) {
    const xb = b * length * channels;
    const { s, z, gate } = rowOf(state, b, channels, units);
    // Through the sigmoid: d(pre-gate) = sum_t dy x * g (1 - g).
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let t = 0; t < length; t++) sum += dy[xb + t * channels + c] * x[xb + t * channels + c];
      dGate[c] = sum * gate[c] * (1 - gate[c]);
      grads.b2[c] += dGate[c];
    }
    for (let h = 0; h < units; h++) {
      let a = 0;
      for (let c = 0; c < channels; c++) {
        grads.w2[h * channels + c] += z[h] * dGate[c];
        a += dGate[c] * w.w2[h * channels + c];
      }
      dHidden[h] = z[h] > 0 ? a : 0;
      grads.b1[h] += dHidden[h];
    }
    for (let c = 0; c < channels; c++) {
      let a = 0;
      for (let h = 0; h < units; h++) {
        grads.w1[c * units + h] += s[c] * dHidden[h];
        a += dHidden[h] * w.w1[c * units + h];
      }
      if (!dx) continue;
      const spread = a / length;
      for (let t = 0; t < length; t++) {
        const at = xb + t * channels + c;
        dx[at] = dy[at] * gate[c] + spread;
      }
    }
  }
}
