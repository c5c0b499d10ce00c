// PatchCore after the backbone as ONNX nodes, so that inference runs in one onnxruntime session (batch-level: the
// backbone, the 3x3 pooling, the kNN MatMul against the bank and the map on onnxruntime's threads, not tfjs wasm's
// one): mirrors model.ts step by step with the shared map ops (export/map-ops.ts, parity-checked for SRAD/SFAD):
//   maps -> p x p mean (padded cells left out) -> half-pixel bilinear resize to the first map -> concat
//   -> + positions (positionWeight x (row, column) cell centres) -> |q|^2 + |m|^2 - 2 q.m, min over the bank,
//   sqrt(relu) -> [N,1,h,w] -> half-pixel upsample + scaled-sigma Gaussian -> maps [N,S,S]; and the max patch [N].
// The image score is left to the tfjs code (patchScoreTerm, patchcoreImageScore) on those two outputs: cheap, and
// one definition. Configurations it does not cover (a weighted global term, an even patch size, a first layer that
// is not the largest) return null: the caller keeps the backbone-maps session and the tfjs rest.
import { attr, type OnnxGraph } from '../../export/onnx-graph.js';
import { aggregateFeatures, dropChannel, maxPerImage, patchScoresToMap, type SizedVal } from '../../export/map-ops.js';
import { val } from '../../export/onnx-ops.js';
import type { PatchcoreConfig } from './model/config.js';
import { KNN_CHUNK_ROWS } from './model/knn.js';

/** The graph outputs a full PatchCore session publishes. */
export const PATCHCORE_ONNX_OUTPUTS = { maps: 'maps', patchMax: 'patch_max' } as const;

/** Why the config cannot run as one session, or null when it can. */
export function patchcoreHeadUnsupported(cfg: PatchcoreConfig, mapSizes: readonly { height: number; width: number }[]): string | null {
  if (cfg.globalLayer && cfg.globalWeight > 0) return 'a weighted global term';
  if (cfg.patchSize > 1 && cfg.patchSize % 2 === 0) return `an even patch size (${cfg.patchSize})`;
  const first = mapSizes[0];
  if (!first || mapSizes.slice(0, cfg.layers.length).some((m) => m.height * m.width > first.height * first.width)) return 'a first layer smaller than a later one';
  return null;
}

/**
 * The head for features/onnx-features.ts extractorSession: `maps` are the extractor's outputs (layers, then the
 * global layer, which this head does not use); `bank` is the [rows, D] memory bank, row-major; `chunk` bank rows
 * per MatMul (tests make it small).
 */
export function patchcoreOnnxHead(cfg: PatchcoreConfig, bank: Float32Array, rows: number, chunk = KNN_CHUNK_ROWS) {
  return (g: OnnxGraph, maps: SizedVal[]): void => {
    const local = aggregateFeatures(g, maps.slice(0, cfg.layers.length), cfg.patchSize, null, 'patch_features');
    const { height: h, width: w } = local;
    let features = local;
    if (cfg.positionWeight > 0) {
      // [1,2,h,w]: row then column, as withPositions appends them; expanded to the batch.
      const pos = new Float32Array(2 * h * w);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          pos[y * w + x] = ((y + 0.5) / h) * cfg.positionWeight;
          pos[h * w + y * w + x] = ((x + 0.5) / w) * cfg.positionWeight;
        }
      }
      const n = g.node('Shape', [local.name], { start: attr.i(0), end: attr.i(1) }, 'positions/n');
      const shape = g.node('Concat', [n, g.constInt64([2, h, w])], { axis: attr.i(0) }, 'positions/shape');
      const positions = g.node('Expand', [g.constFloat('positions/grid', pos, [1, 2, h, w]), shape], {}, 'positions');
      features = { ...local, name: g.node('Concat', [local.name, positions], { axis: attr.i(1) }, 'patch_features/positions'), channels: local.channels + 2 };
    }
    const d = features.channels;
    if (bank.length !== rows * d) throw new Error(`PatchCore bank of ${bank.length} values is not [${rows}, ${d}]`);
    const nhwc = g.node('Transpose', [features.name], { perm: attr.ints([0, 2, 3, 1]) }, 'knn/nhwc');
    const q = g.node('Reshape', [nhwc, g.constInt64([-1, d])], {}, 'knn/queries');
    const qq = g.node('ReduceSumSquare', [q], { axes: attr.ints([1]), keepdims: attr.i(1) }, 'knn/qq');
    // Bank chunks of `chunk` rows as knn.ts takes them, so the [Q, chunk] distance matrix stays bounded; each chunk
    // transposed ([D,m]) with its squared norms [1,m], computed once here (knn.ts does both per call).
    const mins: string[] = [];
    for (let start = 0; start < rows; start += chunk) {
      const m = Math.min(chunk, rows - start);
      const bankT = new Float32Array(d * m);
      const norms = new Float32Array(m);
      for (let r = 0; r < m; r++) {
        let s = 0;
        for (let c = 0; c < d; c++) {
          const v = bank[(start + r) * d + c] as number;
          bankT[c * m + r] = v;
          s += v * v;
        }
        norms[r] = s;
      }
      const k = `knn/chunk${start / chunk}`;
      const qm = g.node('MatMul', [q, g.constFloat(`${k}/bank_t`, bankT, [d, m])], {}, `${k}/qm`);
      const sum = g.node('Add', [qq, g.constFloat(`${k}/mm`, norms, [1, m])], {}, `${k}/qq_mm`);
      const d2 = g.node('Sub', [sum, g.node('Mul', [qm, g.constFloat(`${k}/two`, [2], [])], {}, `${k}/2qm`)], {}, `${k}/d2`);
      mins.push(g.node('ReduceMin', [d2], { axes: attr.ints([1]), keepdims: attr.i(0) }, `${k}/min`));
    }
    const nearest = mins.length === 1 ? (mins[0] as string) : g.node('Min', mins, {}, 'knn/min');
    const dist = g.node('Sqrt', [g.node('Relu', [nearest], {}, 'knn/relu')], {}, 'knn/dist');
    const grid: SizedVal = { ...val(g.node('Reshape', [dist, g.constInt64([-1, 1, h, w])], {}, 'patch_distances'), 4, true), channels: 1, height: h, width: w };
    g.output(maxPerImage(g, grid, 'patch_max_value'), PATCHCORE_ONNX_OUTPUTS.patchMax, ['N']);
    const map = patchScoresToMap(g, grid, cfg.imageSize, cfg.smoothingSigma, 'map');
    g.output(dropChannel(g, map, 'maps_nss'), PATCHCORE_ONNX_OUTPUTS.maps, ['N', cfg.imageSize, cfg.imageSize]);
  };
}
