/**
 * Attention pooling over time: a learned score per frame (the frame's channels dotted with one
 * weight vector), softmax over the frames, and the score-weighted mean of the frames. Mean and
 * max pooling weigh every frame alike or keep one; an emotional clip often carries its cue in a
 * few frames (a stressed syllable, a laugh), which this lets the network find. The weights start
 * at zero, so a fresh layer is mean pooling. Registered with tfjs's serialisation on import, so
 * saved models load anywhere this module is imported (Deno or a browser page). Pure tfjs.
 */
import * as tf from "@tensorflow/tfjs";

/** A pooling over time's output shape: [batch, frames, channels] -> [batch, channels]. */
export function timePooledShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
  const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  return [shape[0], shape[2]];
}

export class AttentionPooling1D extends tf.layers.Layer {
  static className = "AttentionPooling1D";
  private score: tf.LayerVariable | null = null;

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1];
    if (channels === null) throw new Error("AttentionPooling1D: the channel count must be known");
    this.score = this.addWeight("score", [channels], "float32", tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return timePooledShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const h = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const weights = tf.softmax(tf.sum(tf.mul(h, this.score!.read()), -1), -1);
      return tf.sum(tf.mul(h, tf.expandDims(weights, -1)), 1);
    });
  }
}

tf.serialization.registerClass(AttentionPooling1D);
