// Maps PyTorch state-dict tensors (torchvision / timm names, NCHW layouts) onto the weights of one of our
// tf.layers backbones: names by layer path, OIHW -> HWIO, [out,in] -> [in,out], BN running stats. No file I/O.
import * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../core/errors.js';
/** What the mapping needs of a file tensor (a NamedTensor from readSafetensors fits). */
export interface TorchTensor {
  shape: readonly number[];
  data: Float32Array;
}

/** One of our weights and the PyTorch tensor that fills it. */
export interface WeightPlan {
  /** Our weight name, e.g. `layer1.0.conv1/kernel`. */
  ours: string;
  /** The state-dict key, e.g. `layer1.0.conv1.weight`. */
  torch: string;
  /** Our shape (HWIO, [in,out], ...). */
  shape: number[];
  /** The PyTorch shape it must have in the file. */
  torchShape: number[];
  /** How to turn the PyTorch layout into ours. */
  layout: 'conv' | 'depthwise' | 'linear' | 'vector';
}

export interface MappedWeights {
  /** One tensor per model.weights entry, in that order, ready for model.setWeights (caller disposes). */
  weights: tf.Tensor[];
  /** File tensors deliberately not used (BN step counters, the ImageNet classifier head). */
  ignored: string[];
}

/**
 * State-dict keys with no counterpart in a feature backbone: BN step counters, and classifier heads
 * (torchvision `fc`, timm `classifier`, HRNet's `incre_modules`/`downsamp_modules`/`final_layer`/`last_layer`).
 */
export function isIgnorableTorchKey(key: string, model: tf.LayersModel): boolean {
  if (key.endsWith('.num_batches_tracked')) return true;
  const layer = key.slice(0, key.lastIndexOf('.'));
  if (model.layers.some((l) => l.name === layer)) return false;
  return /^(fc|classifier|incre_modules|downsamp_modules|final_layer|last_layer)(\.|$)/.test(key);
}

/** The state-dict key and PyTorch shape for each of our weights (in model.weights order). */
export function planTorchWeights(model: tf.LayersModel): WeightPlan[] {
  return model.weights.map((w) => {
    const ours = w.originalName;
    const slash = ours.lastIndexOf('/');
    const layer = ours.slice(0, slash);
    const param = ours.slice(slash + 1);
    const shape = [...w.shape] as number[];
    switch (param) {
      case 'kernel':
        if (shape.length === 4) {
          const [h, wd, i, o] = shape as [number, number, number, number];
          return { ours, torch: `${layer}.weight`, shape, torchShape: [o, i, h, wd], layout: 'conv' };
        }
        if (shape.length === 2) return { ours, torch: `${layer}.weight`, shape, torchShape: [shape[1] as number, shape[0] as number], layout: 'linear' };
        break;
      case 'depthwise_kernel': {
        const [h, wd, c, m] = shape as [number, number, number, number];
        return { ours, torch: `${layer}.weight`, shape, torchShape: [c * m, 1, h, wd], layout: 'depthwise' };
      }
      case 'bias':
        return { ours, torch: `${layer}.bias`, shape, torchShape: shape, layout: 'vector' };
      case 'gamma':
        return { ours, torch: `${layer}.weight`, shape, torchShape: shape, layout: 'vector' };
      case 'beta':
        return { ours, torch: `${layer}.bias`, shape, torchShape: shape, layout: 'vector' };
      case 'moving_mean':
        return { ours, torch: `${layer}.running_mean`, shape, torchShape: shape, layout: 'vector' };
      case 'moving_variance':
        return { ours, torch: `${layer}.running_var`, shape, torchShape: shape, layout: 'vector' };
    }
    throw new MadenetError('E_WEIGHTS', `Weight ${ours} of ${model.name} has no PyTorch counterpart (param ${param}, shape [${shape.join(',')}]).`);
  });
}

/**
 * PyTorch layout -> ours. conv: OIHW -> HWIO; depthwise: [C*M,1,kh,kw] -> [kh,kw,C,M]; linear: [out,in] -> [in,out].
 * The permutation runs as plain typed-array loops: the cpu backend's generic transpose takes seconds per
 * million values, which made importing Wide-ResNet-50-2 take minutes.
 */
export function toOurLayout(plan: WeightPlan, data: Float32Array): tf.Tensor {
  return tf.tensor(permuteToOurs(plan, data), plan.shape, 'float32');
}

/** [a,b,h,w] -> [h,w,b,a] (`swap`) or [h,w,a,b]: the kernel window first, as tfjs keeps conv filters. */
function spatialFirst(data: Float32Array, a: number, b: number, h: number, w: number, swap: boolean): Float32Array {
  const out = new Float32Array(data.length);
  // Where channel pair (p, q) lands inside one window position's a*b block.
  const strideA = swap ? 1 : b;
  const strideB = swap ? a : 1;
  for (let p = 0; p < a; p++)
    for (let q = 0; q < b; q++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[(y * w + x) * a * b + p * strideA + q * strideB] = data[((p * b + q) * h + y) * w + x] as number;
  return out;
}

export function permuteToOurs(plan: WeightPlan, data: Float32Array): Float32Array {
  switch (plan.layout) {
    case 'conv': {
      // torch [o,i,kh,kw] -> ours [kh,kw,i,o]
      const [h, w, i, o] = plan.shape as [number, number, number, number];
      return spatialFirst(data, o, i, h, w, true);
    }
    case 'depthwise': {
      // torch output channel c*M + m of group c, [c*M,1,kh,kw] -> ours [kh,kw,c,m]
      const [h, w, c, m] = plan.shape as [number, number, number, number];
      return spatialFirst(data, c, m, h, w, false);
    }
    case 'linear': {
      const [inF, outF] = plan.shape as [number, number];
      const out = new Float32Array(data.length);
      for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) out[i * outF + o] = data[o * inF + i] as number;
      return out;
    }
    case 'vector':
      return data.slice();
  }
}

const LIST_LIMIT = 12;

function listed(title: string, items: string[]): string {
  if (items.length === 0) return '';
  const shown = items.slice(0, LIST_LIMIT).join(', ');
  return ` ${title} (${items.length}): ${shown}${items.length > LIST_LIMIT ? `, ... and ${items.length - LIST_LIMIT} more` : ''}.`;
}

/**
 * Our weights for `model` from a state dict, or E_WEIGHTS listing every missing, mis-shaped and unexpected
 * tensor. `arch` only names the architecture in messages.
 */
export function mapTorchvisionWeights(arch: string, tensors: ReadonlyMap<string, TorchTensor>, model: tf.LayersModel): MappedWeights {
  const plans = planTorchWeights(model);
  const missing: string[] = [];
  const misShaped: string[] = [];
  const used = new Set<string>();
  for (const plan of plans) {
    const t = tensors.get(plan.torch);
    if (!t) {
      missing.push(plan.torch);
      continue;
    }
    used.add(plan.torch);
    if (t.shape.length !== plan.torchShape.length || t.shape.some((s, i) => s !== plan.torchShape[i])) {
      misShaped.push(`${plan.torch} [${t.shape.join(',')}] (expected [${plan.torchShape.join(',')}])`);
    }
  }
  const ignored: string[] = [];
  const extra: string[] = [];
  for (const key of tensors.keys()) {
    if (used.has(key)) continue;
    (isIgnorableTorchKey(key, model) ? ignored : extra).push(key);
  }
  if (missing.length + misShaped.length + extra.length > 0) {
    throw new MadenetError(
      'E_WEIGHTS',
      `The weights do not match ${arch}: ${missing.length} missing, ${misShaped.length} mis-shaped, ${extra.length} unexpected tensors.` +
        listed('Missing', missing) +
        listed('Mis-shaped', misShaped) +
        listed('Unexpected', extra),
      {
        suggestions: [
          `Check that the file was saved from ${arch} (a torchvision state dict for ResNets, timm for EfficientNet/HRNet) and that --arch matches.`,
          'Export the state dict as-is (no "module." or "model." prefixes); see the weights section of the README.',
        ],
      },
    );
  }
  const weights: tf.Tensor[] = [];
  try {
    for (const plan of plans) weights.push(toOurLayout(plan, (tensors.get(plan.torch) as TorchTensor).data));
  } catch (err) {
    tf.dispose(weights);
    throw err;
  }
  return { weights, ignored };
}

/** Maps and assigns in one go; returns the ignored keys. */
export function loadTorchWeights(arch: string, tensors: ReadonlyMap<string, TorchTensor>, model: tf.LayersModel): string[] {
  const { weights, ignored } = mapTorchvisionWeights(arch, tensors, model);
  try {
    model.setWeights(weights);
  } finally {
    tf.dispose(weights);
  }
  return ignored;
}
