// Reads what evaluation compares against: anomaly maps (.npy, [H, W]) and ground-truth masks resized to
// the map by nearest neighbour. A defect image without a mask is an error; a normal image has none (null).
import sharp from 'sharp';
import { MadenetError } from '../../core/errors.js';
import { decodeMask } from '../../io/decode.js';
import type { Sample } from '../../io/dataset-types.js';
import { readNpy } from '../../io/npy.js';

export interface AnomalyMap {
  data: Float32Array;
  width: number;
  height: number;
}

export async function readAnomalyMap(path: string, imagePath: string, root?: string): Promise<AnomalyMap> {
  const { data, shape } = await readNpy(path, root !== undefined ? { root } : {});
  if (shape.length !== 2 || (shape[0] as number) < 1 || (shape[1] as number) < 1) {
    throw new MadenetError(
      'E_PREDICTIONS',
      `Map ${path} (for ${imagePath}) has shape [${shape.join(', ')}]; expected a 2-D [H, W] float32 array.`,
    );
  }
  return { data, width: shape[1] as number, height: shape[0] as number };
}

/** Ground truth at width x height (1 = defect), or null for a normal sample. */
export async function readGroundTruth(sample: Sample, width: number, height: number): Promise<Uint8Array | null> {
  if (sample.label === 0) return null;
  if (sample.maskPath === null) {
    throw new MadenetError('E_MASK_MISSING', `Defect image ${sample.path} (${sample.category}/${sample.defectType}) has no mask; expected a ground-truth mask for pixel metrics.`, {
      suggestions: ['Add ground_truth/<type>/<stem>_mask.png, or evaluate predictions without maps (image level only).'],
    });
  }
  const meta = await sharp(sample.path).metadata().catch(() => undefined);
  const expect = meta?.width && meta.height ? { width: meta.autoOrient?.width ?? meta.width, height: meta.autoOrient?.height ?? meta.height, imagePath: sample.path } : undefined;
  const mask = await decodeMask(sample.maskPath, { width, height, expect });
  const gt = new Uint8Array(mask.data.length);
  for (let i = 0; i < gt.length; i++) gt[i] = (mask.data[i] as number) > 0.5 ? 1 : 0;
  return gt;
}
