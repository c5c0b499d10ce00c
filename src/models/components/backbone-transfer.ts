// Copies backbone weights between two tf.layers models by layer name (e.g. the backbone inside a trained LPD
// model into a fresh ResNet for SFAD). Shapes must agree; layers only the source has (a head) are skipped.
import type * as tf from '@tensorflow/tfjs';
import { MadenetError } from '../../pipeline/core/errors.js';

export interface TransferOptions {
  /** Prepended to each target layer name to find it in the source (e.g. 'encoder.'). */
  sourcePrefix?: string;
}

export interface TransferResult {
  /** Target layers whose weights were copied. */
  layers: number;
  /** Weighted source layers with no counterpart in the target (e.g. a classification head). */
  unused: string[];
}

/** target[layer] := source[prefix + layer] for every target layer with weights; E_WEIGHTS lists any gap. */
export function transferWeightsByName(source: tf.LayersModel, target: tf.LayersModel, opts: TransferOptions = {}): TransferResult {
  const prefix = opts.sourcePrefix ?? '';
  const sourceLayers = new Map(source.layers.map((l) => [l.name, l]));
  const missing: string[] = [];
  const misShaped: string[] = [];
  const pairs: [tf.layers.Layer, tf.layers.Layer][] = [];
  for (const layer of target.layers) {
    if (layer.weights.length === 0) continue;
    const from = sourceLayers.get(prefix + layer.name);
    if (!from) {
      missing.push(prefix + layer.name);
      continue;
    }
    const want = layer.weights.map((w) => w.shape.join('x')).join(', ');
    const have = from.weights.map((w) => w.shape.join('x')).join(', ');
    if (want !== have) misShaped.push(`${from.name} [${have}] (expected [${want}])`);
    else pairs.push([from, layer]);
  }
  if (missing.length + misShaped.length > 0) {
    const list = (items: string[]) => items.slice(0, 12).join(', ') + (items.length > 12 ? `, ... and ${items.length - 12} more` : '');
    throw new MadenetError(
      'E_WEIGHTS',
      `Model ${source.name} cannot supply the weights of ${target.name}: ${missing.length} layers missing, ${misShaped.length} mis-shaped.` +
        (missing.length ? ` Missing: ${list(missing)}.` : '') +
        (misShaped.length ? ` Mis-shaped: ${list(misShaped)}.` : ''),
      { suggestions: ['Use a backbone artifact of the same architecture (see its manifest config), or `random`.'] },
    );
  }
  for (const [from, to] of pairs) to.setWeights(from.getWeights());
  const used = new Set(pairs.map(([from]) => from.name));
  const unused = source.layers.filter((l) => l.weights.length > 0 && !used.has(l.name)).map((l) => l.name);
  return { layers: pairs.length, unused };
}
