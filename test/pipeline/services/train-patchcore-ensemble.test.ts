// The PatchCore ensemble on tiny data with random backbones (independent of the packaged networks): members as
// their own artifacts, the ensemble artifact last (LATEST), loaded by the ordinary loader; its scores are the sum
// of the members' scores standardised on the held-out normals, and a second run with the same seed repeats them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadArtifact } from '../../../src/pipeline/artifacts/index.js';
import { loadDetector } from '../../../src/pipeline/detectors/registry.js';
import { trainPatchcoreEnsemble } from '../../../src/pipeline/services/train-patchcore-ensemble.js';
import { makeTinyDataset } from '../../helpers/tiny-dataset.js';

describe('trainPatchcoreEnsemble', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'madenet-patchcore-ensemble-'));
    await makeTinyDataset(join(dir, 'data'), { size: 32, normals: 10, testNormals: 2, defects: 2 });
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const run = (out: string) =>
    trainPatchcoreEnsemble({
      data: join(dir, 'data'),
      category: 'widget',
      out: join(dir, out),
      seed: 3,
      backend: 'wasm',
      threads: 1,
      imageSize: 32,
      coresetRatio: 0.25,
      members: [
        { backbone: 'random', layers: ['layer1', 'layer2'], globalLayer: null, positionWeight: 16 },
        { backbone: 'random', layers: ['layer2', 'layer3'], globalLayer: null, positionWeight: 0 },
      ],
    });

  it('writes two member artifacts and the ensemble last; loadDetector combines the standardised member scores', async () => {
    const r = await run('a');
    expect(r.members.map((m) => m.artifact.version)).toEqual([1, 2]);
    expect(r.artifact.version).toBe(3);
    expect(r.standardisation.map((s) => s.dir)).toEqual(['../v0001', '../v0002']);
    for (const s of r.standardisation) {
      expect(s.scoreStd).toBeGreaterThan(0);
      expect(s.mapScale).toBeGreaterThan(0);
    }
    expect(r.validation).toMatchObject({ source: 'synthetic', normals: 2, defects: 4 });
    const latest = await loadArtifact(join(dir, 'a', 'patchcore', 'widget'));
    expect(latest.dir).toBe(r.artifact.dir);
    expect(latest.manifest.parents.map((p) => p.version)).toEqual([1, 2]);

    const ens = await loadDetector(join(dir, 'a', 'patchcore', 'widget'));
    const m1 = await loadDetector(join(dir, 'a', 'patchcore', 'widget', 'v0001'));
    const m2 = await loadDetector(join(dir, 'a', 'patchcore', 'widget', 'v0002'));
    const x = tf.randomUniform([3, 32, 32, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const [e, a, b] = [ens, m1, m2].map((d) => d.predict(x));
    const sa = Array.from(a?.scores.dataSync() ?? []);
    const sb = Array.from(b?.scores.dataSync() ?? []);
    const [s1, s2] = r.standardisation as [(typeof r.standardisation)[number], (typeof r.standardisation)[number]];
    const want = sa.map((v, i) => (v - s1.scoreMean) / s1.scoreStd + ((sb[i] as number) - s2.scoreMean) / s2.scoreStd);
    const got = Array.from(e?.scores.dataSync() ?? []);
    // float32 sums of standardised terms: compare relative to the magnitude.
    got.forEach((v, i) => expect(Math.abs(v - (want[i] as number)) / Math.max(1, Math.abs(want[i] as number))).toBeLessThan(1e-5));
    expect(e?.maps.shape).toEqual([3, 32, 32]);
    expect(e?.maps.min().dataSync()[0]).toBeGreaterThanOrEqual(0);
    tf.dispose([x, e?.scores, e?.maps, a?.scores, a?.maps, b?.scores, b?.maps]);
    for (const d of [ens, m1, m2]) d.dispose();

    // Same seed, same data: the same standardisation and validation, bit for bit.
    const again = await run('b');
    expect(again.standardisation).toEqual(r.standardisation);
    expect(again.metrics).toEqual(r.metrics);
  }, 240_000);

  it('refuses fewer than two members with E_USAGE', async () => {
    await expect(trainPatchcoreEnsemble({ data: join(dir, 'data'), category: 'widget', out: join(dir, 'c'), members: [{ backbone: 'random' }] })).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});
