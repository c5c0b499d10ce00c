import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listVersions, loadArtifact, writeArtifact } from '../../../src/pipeline/artifacts/store.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const fixture = fileURLToPath(new URL('./fixtures/slow-writer.ts', import.meta.url));
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts the slow writer and SIGKILLs it once its temp dir holds at least `after` files. */
async function killMidSave(root: string, files: number, after: number): Promise<{ killed: boolean; tempFiles: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, root, String(files), 'second'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const base = join(root, 'srad', 'chip');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const temps = (await readdir(base).catch(() => [])).filter((e) => e.startsWith('.tmp-v0002'));
    const inTemp = temps.length ? (await readdir(join(base, temps[0] as string, 'parts')).catch(() => [])).length : 0;
    if (inTemp >= after) {
      child.kill('SIGKILL');
      break;
    }
    if (child.exitCode !== null) break;
    await sleep(2);
  }
  const how = await exited;
  if (how !== 'SIGKILL' && how !== 0) throw new Error(`slow writer failed (${how}): ${stderr}`);
  const temps = (await readdir(base)).filter((e) => e.startsWith('.tmp-v0002'));
  const tempFiles = temps.length ? (await readdir(join(base, temps[0] as string, 'parts'))).length : 0;
  return { killed: how === 'SIGKILL', tempFiles };
}

describe('artifact atomicity', () => {
  const tmp = useTempDir('madenet-atomic-', 'test');

  it('a writer SIGKILLed mid-save leaves the previous LATEST loadable, and the next writer recovers', async () => {
    // Given a complete v0001
    const first = await writeArtifact({ root: tmp.path, kind: 'srad', category: 'chip', config: { tag: 'first' }, seed: 7, files: { 'a.txt': 'one' } });
    expect(first.version).toBe(1);

    // When a second writer is killed with SIGKILL while its files are being written
    const result = await killMidSave(tmp.path, 1000, 5);
    expect(result.killed).toBe(true);
    expect(result.tempFiles).toBeGreaterThanOrEqual(5);
    expect(result.tempFiles).toBeLessThan(1000);

    // Then LATEST still names v0001, it loads and verifies, and no v0002 is visible
    const base = join(tmp.path, 'srad', 'chip');
    expect((await readFile(join(base, 'LATEST'), 'utf8')).trim()).toBe('v0001');
    const loaded = await loadArtifact(base);
    expect(loaded.ref.version).toBe(1);
    expect((await loaded.readFile('a.txt')).toString()).toBe('one');
    expect((await listVersions(tmp.path, 'srad', 'chip')).map((r) => r.version)).toEqual([1]);
    // The dead writer's lock is left behind...
    expect(JSON.parse(await readFile(join(base, '.lock'), 'utf8')).pid).toEqual(expect.any(Number));

    // ...and the next writer takes it over (dead pid), clears the half-written temp dir and writes v0002
    const next = await writeArtifact({ root: tmp.path, kind: 'srad', category: 'chip', config: { tag: 'third' }, seed: 7, files: { 'b.txt': 'two' } });
    expect(next.version).toBe(2);
    expect((await readdir(base)).sort()).toEqual(['LATEST', 'v0001', 'v0002']);
    expect((await loadArtifact(base)).manifest.config).toEqual({ tag: 'third' });
  });
});
