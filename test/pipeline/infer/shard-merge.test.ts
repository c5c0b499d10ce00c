import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inferMerge } from '../../../src/pipeline/services/infer-merge.js';
import { byPath, readLines, runInfer, useInferWorld } from './infer-helpers.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));

describe('sharded infer and merge', () => {
  const tmp = useTempDir('madenet-shards-');
  const w = useInferWorld(tmp);

  it('the union of the shards equals the unsharded run, and merge joins them with their maps', async () => {
    // Given the unsharded run and three shards of the same input,
    const whole = join(tmp.path, 'whole');
    await runInfer({ perfmap: w.sure, input: w.glob, out: whole, saveMaps: true });
    const shards = [0, 1, 2].map((k) => join(tmp.path, `shard-${k}`));
    const sizes: number[] = [];
    for (const [k, out] of shards.entries()) {
      const r = await runInfer({ perfmap: w.sure, input: w.glob, out, saveMaps: true, shard: { index: k, count: 3 } });
      sizes.push(r.images.predicted);
    }
    // then the shards are disjoint, balanced, and together the whole,
    expect(sizes).toEqual([5, 5, 4]);
    const parts = await Promise.all(shards.map((s) => readLines(s)));
    expect(new Set(parts.flat().map((l) => l.path)).size).toBe(w.images);
    expect(byPath(parts.flat())).toEqual(byPath(await readLines(whole)));
    // and merge writes the same predictions, with every map present in the merged directory.
    const merged = join(tmp.path, 'merged');
    const m = await inferMerge({ dirs: shards, out: merged });
    expect(m).toMatchObject({ predictions: w.images, duplicates: 0, files: 2 * w.images, warnings: [] }); // a map and a mask per image
    const lines = await readLines(merged);
    expect(byPath(lines)).toEqual(byPath(await readLines(whole)));
    for (const l of lines) expect((await readFile(join(merged, l.map as string))).equals(await readFile(join(whole, l.map as string)))).toBe(true);
    expect(JSON.parse(await readFile(join(merged, 'infer.json'), 'utf8'))).toMatchObject({ complete: true, predictions: w.images, shard: null });
    // Merging again into the same directory replaces the earlier merge.
    await inferMerge({ dirs: shards, out: merged });
    expect(await readLines(merged)).toHaveLength(w.images);
  });

  it('refuses a missing or unfinished shard unless --allow-partial, and parts of different perfmaps', async () => {
    const shards = [0, 1].map((k) => join(tmp.path, `two-${k}`));
    await runInfer({ perfmap: w.sure, input: w.glob, out: shards[0] as string, shard: { index: 0, count: 3 } });
    await runInfer({ perfmap: w.sure, input: w.glob, out: shards[1] as string, shard: { index: 1, count: 3 } });
    await expect(inferMerge({ dirs: shards, out: join(tmp.path, 'm1') })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('shard 2/3 is missing') });
    const partial = await inferMerge({ dirs: shards, out: join(tmp.path, 'm2'), allowPartial: true });
    expect(partial.predictions).toBe(10);
    expect(partial.warnings).toEqual(['shard 2/3 is missing']);
    expect(JSON.parse(await readFile(join(tmp.path, 'm2', 'infer.json'), 'utf8')).complete).toBe(false);
    const other = join(tmp.path, 'other');
    await runInfer({ perfmap: w.unsure, input: w.glob, out: other, shard: { index: 2, count: 3 } });
    await expect(inferMerge({ dirs: [...shards, other], out: join(tmp.path, 'm3') })).rejects.toMatchObject({ message: expect.stringContaining('2 different perfmaps') });
    await expect(inferMerge({ dirs: [...shards, shards[0] as string], out: join(tmp.path, 'm4') })).rejects.toMatchObject({ message: expect.stringContaining('shard 0/3 is given twice') });
    await expect(inferMerge({ dirs: [join(tmp.path, 'nothing')], out: join(tmp.path, 'm5') })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('a real SIGKILL part-way leaves whole lines and a stale lock; --resume ends with one line per image', async () => {
    const out = join(tmp.path, 'killed');
    const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'test/pipeline/infer/kill-child.ts'), w.sure, w.glob, out], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    // Wait for a few lines, then kill without warning.
    const file = join(out, 'predictions.jsonl');
    const deadline = Date.now() + 60_000;
    let lines = 0;
    while (Date.now() < deadline) {
      lines = (await readFile(file, 'utf8').catch(() => '')).split('\n').length - 1;
      if (lines >= 3) break;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await exited;
    expect([lines >= 3, stderr]).toEqual([true, stderr]);
    const killed = await readFile(file, 'utf8');
    expect(killed.split('\n').length - 1).toBeLessThan(w.images);
    expect(await stat(join(out, '.lock')).then(() => true)).toBe(true);
    // The dead holder's lock is taken over, and the run completes.
    const r = await runInfer({ perfmap: w.sure, input: w.glob, out, resume: true, saveMaps: true });
    expect(r.images.alreadyDone + r.images.predicted).toBe(w.images);
    const all = await readLines(out);
    expect(all).toHaveLength(w.images);
    expect(new Set(all.map((l) => l.path)).size).toBe(w.images);
  }, 120_000);
});
