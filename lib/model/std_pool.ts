/**
 * Standard-deviation pooling over time: per channel, how much a clip's frames move around their
 * mean (sqrt(mean_t (h_t - mean)^2 + 1e-5)), as x-vector and ECAPA-style statistics pooling add
 * to the mean. Max pooling keeps a channel's single loudest frame; the spread says how much the
 * channel varies over the whole clip (a flat, calm delivery against an agitated one). No weights.
 * Registered with tfjs's serialisation on import, like `AttentionPooling1D`. Pure tfjs.
 */
import * as tf from "@tensorflow/tfjs";
import { STD_POOL_EPSILON } from "./static/kernels.ts";
import { timePooledShape } from "./attention_pool.ts";

export class StdPooling1D extends tf.layers.Layer {
  static className = "StdPooling1D";

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return timePooledShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const h = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const centred = tf.sub(h, tf.mean(h, 1, true));
      return tf.sqrt(tf.add(tf.mean(tf.square(centred), 1), STD_POOL_EPSILON));
    });
  }
}

tf.serialization.registerClass(StdPooling1D);
