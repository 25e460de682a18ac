/**
 * Squeeze-excitation over time (as in SENet and ECAPA-TDNN's blocks): each channel's mean over
 * the clip's frames goes through a small bottleneck (dense to `hidden` units, ReLU, dense back,
 * sigmoid), and every frame's channels are scaled by the result. A convolution sees a few frames
 * at a time; this lets what the whole clip sounds like turn each channel up or down everywhere.
 * Registered with tfjs's serialisation on import, like `AttentionPooling1D`. Pure tfjs.
 */
import * as tf from "@tensorflow/tfjs";

export interface SqueezeExciteArgs {
  /** Units of the bottleneck. */
  hidden: number;
  /** Seed of the two kernels' Glorot initialisation. */
  seed?: number;
  name?: string;
}

export class SqueezeExcite1D extends tf.layers.Layer {
  static className = "SqueezeExcite1D";
  readonly hidden: number;
  readonly seed: number | undefined;
  #w: tf.LayerVariable[] = [];

  constructor(args: SqueezeExciteArgs) {
    super({ name: args.name });
    this.hidden = args.hidden;
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1];
    if (channels === null) throw new Error("SqueezeExcite1D: the channel count must be known");
    const glorot = (offset: number) =>
      tf.initializers.glorotUniform({
        seed: this.seed === undefined ? undefined : this.seed + offset,
      });
    this.#w = [
      this.addWeight("squeeze/kernel", [channels, this.hidden], "float32", glorot(0)),
      this.addWeight("squeeze/bias", [this.hidden], "float32", tf.initializers.zeros()),
      this.addWeight("excite/kernel", [this.hidden, channels], "float32", glorot(1)),
      this.addWeight("excite/bias", [channels], "float32", tf.initializers.zeros()),
    ];
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const h = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const [w1, b1, w2, b2] = this.#w.map((w) => w.read());
      const squeezed = tf.relu(tf.add(tf.matMul(tf.mean(h, 1), w1 as tf.Tensor2D), b1));
      const gate = tf.sigmoid(tf.add(tf.matMul(squeezed, w2 as tf.Tensor2D), b2));
      return tf.mul(h, tf.expandDims(gate, 1));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), hidden: this.hidden, seed: this.seed ?? null };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls({
      hidden: config.hidden,
      seed: config.seed ?? undefined,
      name: config.name,
    } as unknown as tf.serialization.ConfigDict);
  }
}

tf.serialization.registerClass(SqueezeExcite1D);
