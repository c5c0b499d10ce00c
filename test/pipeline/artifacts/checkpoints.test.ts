import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointDir, loadLatestCheckpoint, writeCheckpoint } from '../../../src/pipeline/artifacts/checkpoints.js';

describe('checkpoints', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'madenet-ckpt-'));
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  it('returns null before the first checkpoint', async () => {
    expect(await loadLatestCheckpoint(root, 'srad', 'c')).toBeNull();
  });

  it('stores step and state under checkpoints/<kind>/<category>, keeps the newest N, and resumes from the last', async () => {
    for (let step = 1; step <= 5; step++) {
      await writeCheckpoint({ root, kind: 'srad', category: 'c', config: { lr: 0.1 }, seed: 3, step: step * 100, state: { epoch: step }, keep: 2, files: { 'opt.bin': Buffer.alloc(8, step) } });
    }
    const dir = checkpointDir(root, 'srad', 'c');
    expect(dir).toBe(join(root, 'checkpoints', 'srad', 'c'));
    expect((await readdir(dir)).sort()).toEqual(['LATEST', 'v0004', 'v0005']);
    const latest = await loadLatestCheckpoint(root, 'srad', 'c');
    expect(latest?.manifest.checkpoint).toEqual({ step: 500, state: { epoch: 5 } });
    expect(latest?.manifest.seed).toBe(3);
    expect((await latest?.readFile('opt.bin'))?.[0]).toBe(5);
  });
});
