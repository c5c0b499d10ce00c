import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, isAlive } from '../../../src/pipeline/artifacts/lock.js';
import { writeArtifact } from '../../../src/pipeline/artifacts/store.js';

const holder = (pid: number, host = hostname()): string => JSON.stringify({ pid, host, created: '2024-01-01T00:00:00.000Z' });

describe('artifact lock', () => {
  let root: string;
  let base: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'madenet-lock-'));
    base = join(root, 'srad', 'c');
    await mkdir(base, { recursive: true });
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  it('refuses a writer while another live process holds the lock, naming the lock file and pid', async () => {
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await writeFile(join(base, '.lock'), holder(sleeper.pid as number));
      await expect(writeArtifact({ root, kind: 'srad', category: 'c', config: {}, seed: 1 })).rejects.toMatchObject({
        code: 'E_LOCKED',
        message: expect.stringMatching(new RegExp(`${join(base, '.lock').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(pid ${sleeper.pid} on `)),
      });
      expect((await readdir(base)).filter((e) => e.startsWith('v'))).toEqual([]);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('takes over a stale lock whose pid is dead', async () => {
    const done = spawnSync('true');
    expect(isAlive(done.pid as number)).toBe(false);
    await writeFile(join(base, '.lock'), holder(done.pid as number));
    const ref = await writeArtifact({ root, kind: 'srad', category: 'c', config: {}, seed: 1 });
    expect(ref.version).toBe(1);
    expect((await readdir(base)).sort()).toEqual(['LATEST', 'v0001']);
  });

  it('clears lock drafts left by dead writers but not those of live ones', async () => {
    const dead = spawnSync('true').pid as number;
    await writeFile(join(base, `.lock.${dead}-0badf00d`), holder(dead));
    await writeFile(join(base, `.lock.${process.pid}-0badf00d`), holder(process.pid));
    await writeArtifact({ root, kind: 'srad', category: 'c', config: {}, seed: 1 });
    expect((await readdir(base)).sort()).toEqual([`.lock.${process.pid}-0badf00d`, 'LATEST', 'v0001']);
  });

  it('does not guess about a lock held on another host', async () => {
    const done = spawnSync('true');
    await writeFile(join(base, '.lock'), holder(done.pid as number, 'some-other-host'));
    await expect(acquireLock(base)).rejects.toMatchObject({ code: 'E_LOCKED', message: expect.stringContaining('some-other-host') });
  });

  it('lets exactly one of two concurrent writers in, and releases the lock afterwards', async () => {
    const write = (tag: string) => writeArtifact({ root, kind: 'srad', category: 'c', config: { tag }, seed: 1, files: { 'big.bin': Buffer.alloc(1 << 20) } });
    const results = await Promise.allSettled([write('a'), write('b')]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(ok).toHaveLength(1);
    expect(refused.map((r) => (r.reason as { code: string }).code)).toEqual(['E_LOCKED']);
    expect((await readdir(base)).sort()).toEqual(['LATEST', 'v0001']);
    const release = await acquireLock(base);
    await release();
    expect(await readdir(base)).not.toContain('.lock');
  });
});
