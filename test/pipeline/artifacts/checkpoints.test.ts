import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { checkpointDir, loadLatestCheckpoint, writeCheckpoint } from '../../../src/pipeline/artifacts/checkpoints.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('checkpoints', () => {
  const tmp = useTempDir('madenet-ckpt-', 'test');

  it('returns null before the first checkpoint', async () => {
    expect(await loadLatestCheckpoint(tmp.path, 'srad', 'c')).toBeNull();
  });

  it('stores step and state under checkpoints/<kind>/<category>, keeps the newest N, and resumes from the last', async () => {
    for (let step = 1; step <= 5; step++) {
      await writeCheckpoint({ root: tmp.path, kind: 'srad', category: 'c', config: { lr: 0.1 }, seed: 3, step: step * 100, state: { epoch: step }, keep: 2, files: { 'opt.bin': Buffer.alloc(8, step) } });
    }
    const dir = checkpointDir(tmp.path, 'srad', 'c');
    expect(dir).toBe(join(tmp.path, 'checkpoints', 'srad', 'c'));
    expect((await readdir(dir)).sort()).toEqual(['LATEST', 'v0004', 'v0005']);
    const latest = await loadLatestCheckpoint(tmp.path, 'srad', 'c');
    expect(latest?.manifest.checkpoint).toEqual({ step: 500, state: { epoch: 5 } });
    expect(latest?.manifest.seed).toBe(3);
    expect((await latest?.readFile('opt.bin'))?.[0]).toBe(5);
  });
});
