import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { acquireLock, isAlive, processStart } from '../../../src/pipeline/artifacts/lock.js';
import { writeArtifact } from '../../../src/pipeline/artifacts/store.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const holder = (pid: number, host = hostname()): string => JSON.stringify({ pid, host, created: '2024-01-01T00:00:00.000Z', start: processStart(pid) });

describe('artifact lock', () => {
  const tmp = useTempDir('madenet-lock-', 'test');
  let base: string;
  beforeEach(async () => {
    base = join(tmp.path, 'srad', 'c');
    await mkdir(base, { recursive: true });
  });

  it('refuses a writer while another live process holds the lock, naming the lock file and pid', async () => {
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await writeFile(join(base, '.lock'), holder(sleeper.pid as number));
      await expect(acquireLock(base)).rejects.toMatchObject({
        code: 'E_LOCKED',
        message: expect.stringMatching(new RegExp(`${join(base, '.lock').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(pid ${sleeper.pid} on `)),
      });
      expect((await readdir(base)).filter((e) => e.startsWith('v'))).toEqual([]);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('makes a version write wait for a live holder and go on once it is gone', async () => {
    const sleeper = spawn('sleep', ['1'], { stdio: 'ignore' });
    await writeFile(join(base, '.lock'), holder(sleeper.pid as number));
    const t0 = Date.now();
    const ref = await writeArtifact({ root: tmp.path, kind: 'srad', category: 'c', config: {}, seed: 1 });
    expect(ref.version).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
  });

  it('takes over a stale lock whose pid is dead', async () => {
    const done = spawnSync('true');
    expect(isAlive(done.pid as number)).toBe(false);
    await writeFile(join(base, '.lock'), holder(done.pid as number));
    const ref = await writeArtifact({ root: tmp.path, kind: 'srad', category: 'c', config: {}, seed: 1 });
    expect(ref.version).toBe(1);
    expect((await readdir(base)).sort()).toEqual(['LATEST', 'v0001']);
  });

  it('clears lock drafts left by dead writers but not those of live ones', async () => {
    const dead = spawnSync('true').pid as number;
    await writeFile(join(base, `.lock.${dead}-0badf00d`), holder(dead));
    await writeFile(join(base, `.lock.${process.pid}-0badf00d`), holder(process.pid));
    await writeArtifact({ root: tmp.path, kind: 'srad', category: 'c', config: {}, seed: 1 });
    expect((await readdir(base)).sort()).toEqual([`.lock.${process.pid}-0badf00d`, 'LATEST', 'v0001']);
  });

  it('does not guess about a lock held on another host', async () => {
    const done = spawnSync('true');
    await writeFile(join(base, '.lock'), holder(done.pid as number, 'some-other-host'));
    await expect(acquireLock(base)).rejects.toMatchObject({ code: 'E_LOCKED', message: expect.stringContaining('some-other-host') });
  });

  it('serialises two concurrent writers (each gets its own version) and releases the lock afterwards', async () => {
    const write = (tag: string) => writeArtifact({ root: tmp.path, kind: 'srad', category: 'c', config: { tag }, seed: 1, files: { 'big.bin': Buffer.alloc(1 << 20) } });
    const results = await Promise.all([write('a'), write('b')]);
    expect(results.map((r) => r.version).sort()).toEqual([1, 2]);
    expect((await readdir(base)).sort()).toEqual(['LATEST', 'v0001', 'v0002']);
    const release = await acquireLock(base);
    await release();
    expect(await readdir(base)).not.toContain('.lock');
  });
});
