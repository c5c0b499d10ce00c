// One lock per output folder, taken by every writing command: a second demo or make-demo is refused while a
// demo runs there, two trainings of one checkpoint series cannot overlap, and stale locks (dead or reused pid,
// empty or garbage content) are taken over without anyone deleting them by hand.
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { acquireLock, processStart } from '../../src/pipeline/artifacts/lock.js';
import { runDemo } from '../../src/pipeline/services/demo.js';
import { makeDemo } from '../../src/pipeline/services/make-demo.js';
import { trainClassifier } from '../../src/pipeline/services/train-classifier.js';
import { failure } from '../helpers/training-run.js';
import { makeTinyDataset } from '../helpers/tiny-dataset.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useBackend } from '../helpers/backends.js';

const holder = (pid: number, start: string | null): string => JSON.stringify({ pid, host: hostname(), created: '2026-01-01T00:00:00.000Z', start, token: 'x', command: 'infer' });

describe('locks (items 1, 11, 12)', () => {
  useBackend('wasm');
  const tmp = useTempDir('madenet-hostile-locks-');

  it('item 12: empty, garbage, dead-pid and reused-pid locks are taken over; a live holder is named', async () => {
    const folder = join(tmp.path, 'stale');
    await mkdir(folder, { recursive: true });
    const dead = spawnSync('true').pid as number;
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const live = sleeper.pid as number;
      await new Promise((r) => setTimeout(r, 50));
      // A pid that is alive but whose start time differs is another process that reused the pid.
      // pid 1 (init) is alive but no madenet: a hand-written lock naming it is stale too.
      for (const stale of ['', 'garbage{', '\0\0\0', holder(dead, null), holder(live, '1'), holder(1, null), holder(live, null)]) {
        await writeFile(join(folder, '.lock'), stale);
        const release = await acquireLock(folder);
        expect(JSON.parse(await readFile(join(folder, '.lock'), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
        await release();
        expect(await readdir(folder)).toEqual([]);
      }
      // The same pid with its real start time is the live holder: refused, naming it.
      await writeFile(join(folder, '.lock'), holder(live, processStart(live)));
      const err = await failure(acquireLock(folder));
      expect(err.code).toBe('E_LOCKED');
      expect(err.message).toContain(`madenet infer, pid ${live}`);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('item 1: a demo into a folder another demo holds, or make-demo into its data, is refused and changes nothing', async () => {
    const out = join(tmp.path, 'demo');
    await makeDemo({ out: join(out, 'data'), seed: 1, size: 32, perCategory: 1, testPerCategory: 0, defectsPerCategory: 0, testDefectsPerCategory: 0, categories: ['BGA', 'QFN'] });
    const before = (await stat(join(out, 'data', 'demo.json'))).mtimeMs;
    const running = await acquireLock(out, { command: 'demo' });
    const runningData = await acquireLock(join(out, 'data'), { command: 'demo' });
    try {
      const second = await failure(runDemo({ out, seed: 1, plan: 'smoke' }));
      expect(second.code).toBe('E_LOCKED');
      expect(second.message).toContain('madenet demo');
      const remake = await failure(makeDemo({ out: join(out, 'data'), seed: 2, size: 32, categories: ['BGA'] }));
      expect(remake.code).toBe('E_LOCKED');
      expect((await stat(join(out, 'data', 'demo.json'))).mtimeMs).toBe(before);
    } finally {
      await runningData();
      await running();
    }
  });

  it('item 1: demo into a folder holding a previous run refuses before any step, and --categories BGA fails up front', async () => {
    const out = join(tmp.path, 'previous');
    await mkdir(join(out, 'artifacts'), { recursive: true });
    const steps: string[] = [];
    const err = await failure(runDemo({ out, seed: 1, plan: 'smoke', onStep: (s) => steps.push(s) }));
    expect(err.code).toBe('E_EXISTS');
    expect(err.message).toContain(out);
    expect(err.suggestions?.join(' ')).not.toContain('--resume');
    expect(steps).toEqual([]);
    expect(await readdir(out)).toEqual(['artifacts']);
    const one = await failure(runDemo({ out: join(tmp.path, 'one'), seed: 1, plan: 'smoke', categories: ['BGA'], onStep: (s) => steps.push(s) }));
    expect(one.code).toBe('E_USAGE');
    expect(one.message).toContain('(BGA)');
    expect(steps).toEqual([]);
    expect(await stat(join(tmp.path, 'one')).catch(() => null)).toBeNull();
  });

  it('item 11: a second training of the same category into the same root is refused, not run alongside', async () => {
    const data = join(tmp.path, 'tiny');
    await makeTinyDataset(data, { categories: ['alpha', 'beta'], size: 32, normals: 3, testNormals: 1, defects: 1 });
    const opts = { data, out: join(tmp.path, 'root'), preset: 'tiny' as const, epochs: 1, batchSize: 2, lr: 1e-2, seed: 5, backend: 'wasm' as const, threads: 1, checkpointEvery: 1 };
    const [a, b] = await Promise.allSettled([trainClassifier(opts), trainClassifier(opts)]);
    const outcomes = [a, b].map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code: string }).code)).sort();
    expect(outcomes).toEqual(['E_LOCKED', 'ok']);
    const refused = ([a, b].find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Error;
    expect(refused.message).toContain('training classifier all');
    // One checkpoint series, one artifact: nothing of the refused run.
    expect((await readdir(join(tmp.path, 'root', 'classifier', 'all'))).sort()).toEqual(['LATEST', 'v0001']);
    expect(await readdir(join(tmp.path, 'root', 'checkpoints', 'classifier', 'all'))).not.toContain('.run.lock');
  });
});
