// The PatchCore ensemble (nsfwjs MobileNetV2 with position channels + InceptionV3 without, top-10% score) on one
// shared category: train-patchcore-ensemble, then the exact test metrics through the `evaluate --model` path.
// Prints one JSON object (training seconds per member and in all, validation, test metrics).
//   node --import tsx bench/real/patchcore-ensemble.ts --data ../shared/data/mvtec_ad --category transistor \
//     --out /tmp/pce [--feature-cache DIR]
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { trainPatchcoreEnsemble } from '../../src/pipeline/services/train-patchcore-ensemble.js';
import { evaluateSubmodel } from './evaluate-runs.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data/mvtec_ad' },
    category: { type: 'string', default: 'transistor' },
    out: { type: 'string', default: '/tmp/madenet-bench-patchcore-ensemble' },
    'feature-cache': { type: 'string' },
    threads: { type: 'string', default: '1' },
  },
});
const threads = Number(values.threads);
const r = await trainPatchcoreEnsemble({
  data: resolve(values.data),
  category: values.category,
  out: join(values.out, 'artifacts'),
  seed: 42,
  backend: 'wasm',
  threads,
  featureCache: values['feature-cache'] ?? null,
  featureCacheMb: 16384,
});
console.error(`ensemble ${values.category}: ${r.seconds.toFixed(0)} s, validation image AUROC ${r.metrics.imageAuroc?.toFixed(4)}; evaluating the test split`);
const test = await evaluateSubmodel({ model: r.artifact.dir, data: resolve(values.data), category: values.category, out: join(values.out, 'eval'), backend: 'wasm', threads });
console.log(
  JSON.stringify(
    {
      category: values.category,
      seconds: r.seconds,
      members: r.members.map((m) => ({ backbone: m.backbone, layers: m.layers, seconds: m.seconds, timings: m.timings, featureCache: m.featureCache, validationImageAuroc: m.metrics.imageAuroc })),
      standardisation: r.standardisation,
      validationImageAuroc: r.metrics.imageAuroc,
      test,
    },
    null,
    2,
  ),
);
