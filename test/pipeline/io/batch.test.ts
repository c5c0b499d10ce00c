import { batches } from '../../../src/pipeline/io/batch.js';

async function* range(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i;
}

describe('batches', () => {
  it('groups in order with a shorter last batch', async () => {
    const out: number[][] = [];
    for await (const b of batches(range(7), 3)) out.push(b);
    expect(out).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  it('yields nothing for an empty source and exact batches when size divides n', async () => {
    const empty: number[][] = [];
    for await (const b of batches(range(0), 2)) empty.push(b);
    expect(empty).toEqual([]);
    const exact: number[][] = [];
    for await (const b of batches(range(4), 2)) exact.push(b);
    expect(exact).toEqual([[0, 1], [2, 3]]);
  });

  it('drops a short last batch when asked (training batches)', async () => {
    const out: number[][] = [];
    for await (const b of batches(range(7), 3, { dropShort: true })) out.push(b);
    expect(out).toEqual([[0, 1, 2], [3, 4, 5]]);
    const exact: number[][] = [];
    for await (const b of batches(range(4), 2, { dropShort: true })) exact.push(b);
    expect(exact).toEqual([[0, 1], [2, 3]]);
  });

  it('rejects a batch size below 1', async () => {
    await expect(batches(range(3), 0).next()).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});
