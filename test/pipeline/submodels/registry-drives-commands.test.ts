// The registry is the only list of kinds: a fifth submodel registered here, and nowhere else, is trained by the
// generic trainer and goes through build-perfmap, infer and evaluate like the built-in four. Any of those paths
// that kept its own list of kinds would refuse it (E_ARTIFACT, E_USAGE) or miss it (the infer counts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadArtifact } from '../../../src/pipeline/artifacts/index.js';
import { buildPerfmap } from '../../../src/pipeline/services/build-perfmap.js';
import { evaluate } from '../../../src/pipeline/services/evaluate.js';
import { infer } from '../../../src/pipeline/services/infer.js';
import { trainSubmodel } from '../../../src/pipeline/services/train-submodel.js';
import { registerSubmodel, submodelKinds, unregisterSubmodel } from '../../../src/pipeline/submodels/registry.js';
import { makeTinyDataset } from '../../helpers/tiny-dataset.js';
import { MEAN_KIND, meanSubmodel } from './mean-submodel.js';

const runtime = { backend: 'cpu', threads: 1 } as const;

describe('a submodel added through the registry only', () => {
  let dir: string;
  let data: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'madenet-fifth-submodel-'));
    data = join(dir, 'data');
    await makeTinyDataset(data, { size: 32, normals: 8, testNormals: 3, defects: 3 });
    registerSubmodel(meanSubmodel);
  });
  afterAll(async () => {
    unregisterSubmodel(MEAN_KIND);
    await rm(dir, { recursive: true, force: true });
  });

  it('trains with the generic trainer, then build-perfmap, infer and evaluate treat it like the built-in kinds', async () => {
    expect(submodelKinds()).toEqual(['srad', 'sfad', 'lpd', 'patchcore', MEAN_KIND]);

    // Training: the generic trainer, reached through the registry entry.
    const out = join(dir, 'out');
    const trained = await trainSubmodel(MEAN_KIND, { data, category: 'widget', out, seed: 3, epochs: 2, batchSize: 2, lr: 0.5, imageSize: 32, checkpointEvery: 1, ...runtime });
    expect(trained.artifact.dir).toBe(join(out, MEAN_KIND, 'widget', 'v0001'));
    expect(trained.epochs).toHaveLength(2);
    expect(trained.checkpoints).toBe(join(out, 'checkpoints', MEAN_KIND, 'widget'));
    const artifact = await loadArtifact(trained.artifact.dir);
    expect(artifact.manifest.kind).toBe(MEAN_KIND);
    expect(Object.keys(artifact.manifest.files)).toEqual(expect.arrayContaining(['mean/model.json', 'thresholds.json']));

    // build-perfmap accepts the kind and loads it through the registry's loader.
    const built = await buildPerfmap({ data, models: [trained.artifact.dir], lambda: 0.5, seed: 3, out, ...runtime });
    expect(built.perfmap.categories.widget?.chosen).toBe(MEAN_KIND);

    // infer routes to it, takes it as --fallback, and counts it.
    const predictions = join(dir, 'predictions');
    const inferred = await infer({ perfmap: built.artifact.dir, input: join(data, 'widget', 'test'), out: predictions, category: 'widget', fallback: MEAN_KIND, saveMaps: true, ...runtime });
    expect(inferred.images.predicted).toBe(6);
    expect(inferred.models).toEqual({ srad: 0, sfad: 0, lpd: 0, patchcore: 0, [MEAN_KIND]: 6 });
    const lines = (await readFile(join(predictions, 'predictions.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { model: string });
    expect(new Set(lines.map((l) => l.model))).toEqual(new Set([MEAN_KIND]));

    // evaluate reads its predictions and maps like any other.
    const evaluated = await evaluate({ predictions, data, out: join(dir, 'evaluation') });
    const all = evaluated.metrics.rows.find((r) => r.category === 'widget' && r.defectType === 'all');
    expect(all?.images).toBe(6);
    expect(all?.imageAuroc).not.toBeNull();
  }, 300_000);

  it('is refused by every command once it is no longer registered', async () => {
    const dirOf = join(dir, 'out', MEAN_KIND, 'widget', 'v0001');
    unregisterSubmodel(MEAN_KIND);
    try {
      await expect(buildPerfmap({ data, models: [dirOf], lambda: 0.5, seed: 3, out: join(dir, 'out2'), ...runtime })).rejects.toMatchObject({ code: 'E_ARTIFACT' });
      await expect(trainSubmodel(MEAN_KIND, { data, category: 'widget', out: join(dir, 'out2'), seed: 3 })).rejects.toMatchObject({ code: 'E_USAGE' });
    } finally {
      registerSubmodel(meanSubmodel);
    }
  });
});
