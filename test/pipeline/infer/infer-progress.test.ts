// What infer tells its progress bar (a total once a glob or directory is listed, none for stdin; every image counted
// once whether predicted, skipped or already done), and "nothing there" alike for a glob, a directory and stdin.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { shardSize } from '../../../src/pipeline/infer/shard.js';
import { runInfer, useInferWorld } from './infer-helpers.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('infer progress and empty input', () => {
  const tmp = useTempDir('madenet-infer-progress-');
  const w = useInferWorld(tmp);

  it('reports the shard\'s total for a glob, then counts every image up to it, resumed ones included', async () => {
    const totals: number[] = [];
    const seen: number[] = [];
    const out = tmp.next('out');
    const shard = { index: 1, count: 3 };
    const r = await runInfer({ perfmap: w.sure, input: w.glob, out, shard, onTotal: (t) => totals.push(t), onProgress: (p, s, passed) => seen.push(p + s + passed) });
    // 14 images, shard 1 of 3: items 1, 4, 7, 10, 13.
    expect(totals).toEqual([5]);
    expect(r.images.predicted).toBe(5);
    expect(seen[seen.length - 1]).toBe(5);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    // Resumed with nothing left: the images passed over still count, so a bar would end full, not at 0.
    const again: number[] = [];
    const totals2: number[] = [];
    await runInfer({ perfmap: w.sure, input: w.glob, out, shard, resume: true, onTotal: (t) => totals2.push(t), onProgress: (p, s, passed) => again.push(p + s + passed) });
    expect(totals2).toEqual([5]);
    expect(again).toEqual([1, 2, 3, 4, 5]);
  });

  it('has no total for a list on stdin (its length is unknown until it ends)', async () => {
    const totals: number[] = [];
    const r = await runInfer({ perfmap: w.sure, input: '-', stdin: Readable.from([`${join(w.data, 'alpha', 'test', 'good', '000.png')}\n`]), out: tmp.next('out'), onTotal: (t) => totals.push(t) });
    expect(r.images.seen).toBe(1);
    expect(totals).toEqual([]);
  });

  it('treats an empty directory, a glob matching nothing and an empty list alike: 0 images, no error', async () => {
    const empty = join(tmp.path, 'empty');
    await mkdir(empty);
    for (const input of [empty, join(tmp.path, 'empty', '*.png'), join(w.data, '*', 'test', 'nothing-*', '*.png')]) {
      const totals: number[] = [];
      const r = await runInfer({ perfmap: w.sure, input, out: tmp.next('out'), onTotal: (t) => totals.push(t) });
      expect([input, r.images.seen, r.images.predicted, totals]).toEqual([input, 0, 0, [0]]);
    }
    const fromStdin = await runInfer({ perfmap: w.sure, input: '-', stdin: Readable.from(['']), out: tmp.next('out') });
    expect(fromStdin.images.predicted).toBe(0);
  });

  it('fails with E_NOT_FOUND for a plain path that does not exist (a typo, not a quiet night)', async () => {
    await expect(runInfer({ perfmap: w.sure, input: join(tmp.path, 'no-such-folder'), out: tmp.next('out') })).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
      message: expect.stringContaining(join(tmp.path, 'no-such-folder')),
    });
  });
});

describe('shardSize', () => {
  it('counts the items i < n with i mod N = K', () => {
    for (const count of [0, 1, 2, 5, 14]) {
      for (const shard of [null, { index: 0, count: 1 }, { index: 0, count: 3 }, { index: 2, count: 3 }, { index: 4, count: 5 }]) {
        const want = Array.from({ length: count }, (_, i) => i).filter((i) => shard === null || i % shard.count === shard.index).length;
        expect([count, shard, shardSize(count, shard)]).toEqual([count, shard, want]);
      }
    }
  });
});
