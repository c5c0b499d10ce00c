import { parseShard, takeShard } from '../../../src/pipeline/infer/shard.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

describe('shards', () => {
  it('parses K/N with 0 <= K < N and refuses anything else', () => {
    expect(parseShard('2/8')).toEqual({ index: 2, count: 8 });
    expect(parseShard(' 0 / 1 ')).toEqual({ index: 0, count: 1 });
    for (const bad of ['8/8', '1/0', '-1/4', '1', 'a/b', '1.5/4']) {
      expect(() => parseShard(bad)).toThrow(expect.objectContaining({ code: 'E_USAGE', message: expect.stringContaining(`--shard is "${bad}"`) }));
    }
  });

  it('partitions the ordered input: every item in exactly one shard, balanced to within one', async () => {
    const items = Array.from({ length: 23 }, (_, i) => `img-${String(i).padStart(2, '0')}`);
    const parts = await Promise.all([0, 1, 2, 3].map((k) => collect(takeShard(from(items), { index: k, count: 4 }))));
    expect(parts.map((p) => p.length)).toEqual([6, 6, 6, 5]);
    expect(parts.flat().sort()).toEqual(items);
    expect(parts[1]?.slice(0, 2)).toEqual(['img-01', 'img-05']);
    expect(await collect(takeShard(from(items), null))).toEqual(items);
  });
});
