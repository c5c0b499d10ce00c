// SFAD's frozen features through onnxruntime: the extractor (any layers model the ONNX converter takes: ResNets,
// the packaged MobileNetV2) plus SimpleNet's aggregation and projection as one ONNX graph, run by onnxruntime-node
// on the CPU. Same numbers as sfadFeatures up to float rounding (different kernels), [N,h,w,D] channels-last so
// they drop into the same bank. Built in memory per run; nothing is written.
import type * as tf from '@tensorflow/tfjs';
import type { SfadConfig } from '../submodels/sfad/model/config.js';
import type { RgbImage } from '../io/image.js';
import { outputShapes } from '../export/feature-maps.js';
import { imageInput } from '../export/layers-model-graph.js';
import { LayersConverter } from '../export/layers-converter.js';
import { aggregateFeatures, sized } from '../export/map-ops.js';
import { attr, OnnxGraph } from '../export/onnx-graph.js';
import { NCHW_TO_NHWC } from '../export/onnx-ops.js';
import { encodeModel } from '../export/onnx-proto.js';
import { createOrtSession, runOrt, type OrtSession } from '../engines/onnxruntime.js';

export interface OnnxFeatures {
  /** Features of the images, [N*h*w*D] channels-last, and [h, w, D]. */
  run(images: RgbImage[]): Promise<{ data: Float32Array; shape: [number, number, number] }>;
  dispose(): Promise<void>;
}

export async function onnxSfadFeatures(extractor: tf.LayersModel, cfg: Pick<SfadConfig, 'imageSize' | 'patchSize' | 'featureDim' | 'layers'>, threads?: number): Promise<OnnxFeatures> {
  const g = new OnnxGraph('sfad_features');
  const v = imageInput(g, 'images', [null, cfg.imageSize, cfg.imageSize, 3]);
  const image = { ...v, channels: 3, height: cfg.imageSize, width: cfg.imageSize };
  const shapes = outputShapes(extractor, cfg.imageSize);
  const maps = new LayersConverter(g, 'backbone/').convertModel(extractor, [image]).map((m, i) => sized(m, shapes[i] ?? [], `SFAD feature map ${cfg.layers[i]}`));
  const f = aggregateFeatures(g, maps, cfg.patchSize, cfg.featureDim, 'aggregate');
  g.output(g.node('Transpose', [f.name], { perm: attr.ints(NCHW_TO_NHWC) }, 'features_nhwc'), 'features', ['N', f.height, f.width, f.channels]);
  const session: OrtSession = await createOrtSession(encodeModel(g.toModel({ producerVersion: 'madenet' })), { threads });
  const shape: [number, number, number] = [f.height, f.width, f.channels];
  // One probe image before the caller relies on it: a session can open and still fail to run (e.g. under a VM
  // realm such as jest's, onnxruntime rejects its own output arrays), and auto should then fall back, not fail later.
  try {
    await runOrt(session, new Float32Array(cfg.imageSize * cfg.imageSize * 3), [1, cfg.imageSize, cfg.imageSize, 3]);
  } catch (err) {
    await session.release();
    throw err;
  }
  return {
    async run(images) {
      const s = cfg.imageSize;
      const buf = new Float32Array(images.length * s * s * 3);
      images.forEach((im, i) => buf.set(im.data, i * s * s * 3));
      const out = await runOrt(session, buf, [images.length, s, s, 3]);
      return { data: (out.features as { data: Float32Array }).data, shape };
    },
    async dispose() {
      await session.release();
    },
  };
}
