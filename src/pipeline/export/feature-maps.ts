// Static output shapes of a model at a fixed input size, learnt by running it once in tfjs on a 1-image
// input: backbones are built without a fixed size, and the map/score ops need the feature maps' [h,w,C].
import * as tf from '@tensorflow/tfjs';

/** [null, h, w, C] (or [null, K]) per output of `model` for an [1,side,side,3] input. */
export function outputShapes(model: tf.LayersModel, side: number): (number | null)[][] {
  let shapes: (number | null)[][] = [];
  tf.tidy(() => {
    const out = model.predict(tf.zeros([1, side, side, 3]));
    shapes = (Array.isArray(out) ? out : [out]).map((t) => [null, ...t.shape.slice(1)]);
  });
  return shapes;
}
