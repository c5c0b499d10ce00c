// Fits LPD's localisation GDE on the training normals with the network as it is now: one inference pass over
// the images (decoded in a fixed order, batch by batch), running sums per location, then mean and inverse covariance.
import * as tf from '@tensorflow/tfjs';
import type { LpdConfig } from '../model/config.js';
import { gdeToTensors, lpdGdeFit, type GdeState } from '../model/gde.js';
import { writeSafetensors } from '../../../weights/safetensors.js';
import { lpdEmbeddings } from '../model/model.js';
import type { Sample } from '../../../io/dataset.js';
import type { RgbImage } from '../../../io/image.js';
import { streamSamples } from '../../../io/sample-stream.js';
import { imagesToTensor } from '../../../train/tensors.js';

/** gde.safetensors as an LPD artifact (trained or fine-tuned) carries it. */
export function gdeFile(gde: GdeState): Buffer {
  return writeSafetensors(gdeToTensors(gde), { format: 'madenet-lpd-gde', images: String(gde.count) });
}

/** extractor: [N,S,S,3] -> the cfg.gdeLayers maps (e.g. LpdModel.extractor); run in inference mode. */
export async function fitGdeOnNormals(
  extractor: tf.LayersModel,
  samples: readonly Sample[],
  cfg: LpdConfig,
  opts: { batchSize: number },
): Promise<GdeState> {
  async function* embeddings(): AsyncGenerator<tf.Tensor4D> {
    let chunk: RgbImage[] = [];
    for await (const d of streamSamples(samples, { size: cfg.imageSize })) {
      chunk.push(d.image);
      if (chunk.length === opts.batchSize) {
        yield embed(chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0) yield embed(chunk);
  }
  const embed = (images: RgbImage[]): tf.Tensor4D => tf.tidy(() => lpdEmbeddings(extractor, imagesToTensor(images), cfg));
  return lpdGdeFit(embeddings(), { shrinkage: cfg.gdeShrinkage, epsilon: cfg.gdeEpsilon });
}
