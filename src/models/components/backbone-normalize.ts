// ImageNet input normalisation, in one place for every backbone: images enter every model as [N,H,W,3] in
// [0,1] and this layer (the first of each backbone) maps them to (x - mean) / std. It does not resize.
import * as tf from '@tensorflow/tfjs';

/** torchvision / timm ImageNet statistics (RGB). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** [N,H,W,3] in [0,1] -> [N,H,W,3] ImageNet-normalised. Call inside tf.tidy. */
export function imagenetNormalize(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const mean = tf.tensor1d(IMAGENET_MEAN as unknown as number[]);
    const std = tf.tensor1d(IMAGENET_STD as unknown as number[]);
    return x.sub(mean).div(std) as tf.Tensor4D;
  });
}

/** The same normalisation as a serialisable layer, so that a saved backbone carries its own preprocessing. */
export class ImagenetNormalization extends tf.layers.Layer {
  static readonly className = 'MadenetImagenetNormalization';

  constructor(args: { name?: string; trainable?: boolean } = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (x === undefined) throw new Error('ImagenetNormalization needs one input');
    return imagenetNormalize(x as tf.Tensor4D);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig() };
  }
}

tf.serialization.registerClass(ImagenetNormalization);
