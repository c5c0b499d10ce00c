import { boundedMap } from '../../../src/pipeline/io/bounded-map.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An instrumented lazy source of 0..n-1 that records how many items were pulled and whether it was closed. */
function countingSource(n: number): { source: AsyncGenerator<number>; pulled: () => number; closed: () => boolean } {
  let pulled = 0;
  let closed = false;
  async function* gen(): AsyncGenerator<number> {
    try {
      for (let i = 0; i < n; i++) {
        pulled++;
        yield i;
      }
    } finally {
      closed = true;
    }
  }
  return { source: gen(), pulled: () => pulled, closed: () => closed };
}

describe('boundedMap', () => {
  it('preserves source order although later items finish first', async () => {
    const out: number[] = [];
    for await (const v of boundedMap([0, 1, 2, 3, 4, 5, 6, 7], async (x) => {
      await sleep((8 - x) * 3);
      return x * 10;
    }, { concurrency: 4 })) out.push(v);
    expect(out).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
  });

  it('never runs more than `concurrency` calls at once, and does reach it', async () => {
    let running = 0;
    let peak = 0;
    const out: number[] = [];
    for await (const v of boundedMap(Array.from({ length: 20 }, (_, i) => i), async (x) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(2 + (x % 3));
      running--;
      return x;
    }, { concurrency: 3, prefetch: 5 })) out.push(v);
    expect(peak).toBe(3);
    expect(out).toHaveLength(20);
  });

  it('with a slow consumer, never has more than concurrency + prefetch items taken and unconsumed', async () => {
    // Given a fast producer and a consumer that is 10x slower
    const concurrency = 2;
    const prefetch = 3;
    const src = countingSource(40);
    let started = 0;
    let consumed = 0;
    let peakInFlight = 0;
    let peakPulledAhead = 0;
    for await (const _ of boundedMap(src.source, async (x) => {
      started++;
      await sleep(1);
      return x;
    }, { concurrency, prefetch })) {
      // In flight = started (or pulled) and not yet done with by this consumer, counting the one it holds.
      peakInFlight = Math.max(peakInFlight, started - consumed);
      peakPulledAhead = Math.max(peakPulledAhead, src.pulled() - consumed);
      await sleep(10);
      peakInFlight = Math.max(peakInFlight, started - consumed);
      consumed++;
    }
    expect(consumed).toBe(40);
    // Then the bound holds and is used (the producer did run ahead while the consumer was busy)
    expect(peakInFlight).toBeLessThanOrEqual(concurrency + prefetch);
    expect(peakPulledAhead).toBeLessThanOrEqual(concurrency + prefetch);
    expect(peakPulledAhead).toBe(concurrency + prefetch);
  });

  it('pulls lazily: breaking after two results leaves most of a large source unread and closes it', async () => {
    const src = countingSource(1_000_000);
    let calls = 0;
    const got: number[] = [];
    for await (const v of boundedMap(src.source, async (x) => {
      calls++;
      return x;
    }, { concurrency: 2, prefetch: 1 })) {
      got.push(v);
      if (got.length === 2) break;
    }
    expect(got).toEqual([0, 1]);
    expect(src.pulled()).toBeLessThanOrEqual(1 + 3);
    expect(calls).toBeLessThanOrEqual(1 + 3);
    expect(src.closed()).toBe(true);
  });

  it('rethrows a failure at its position, after the results before it, and waits for work in flight', async () => {
    let finished = 0;
    const got: number[] = [];
    const run = async (): Promise<void> => {
      for await (const v of boundedMap([0, 1, 2, 3, 4, 5], async (x) => {
        await sleep(x === 2 ? 1 : 5);
        if (x === 2) throw new Error('boom at 2');
        finished++;
        return x;
      }, { concurrency: 3 })) got.push(v);
    };
    await expect(run()).rejects.toThrow('boom at 2');
    expect(got).toEqual([0, 1]);
    // Every call that started has settled by the time the error surfaces (nothing keeps running behind us).
    const settled = finished;
    await sleep(30);
    expect(finished).toBe(settled);
  });

  it('with prefetch 0 and concurrency 1 computes nothing ahead of the consumer', async () => {
    let started = 0;
    const seen: number[] = [];
    for await (const v of boundedMap([0, 1, 2, 3], async (x) => {
      started++;
      return x;
    }, { concurrency: 1, prefetch: 0 })) {
      await sleep(5);
      seen.push(started - v);
    }
    expect(seen).toEqual([1, 1, 1, 1]);
  });

  it('accepts a sync iterable and rejects a bad concurrency', async () => {
    const out: string[] = [];
    for await (const v of boundedMap(new Set(['a', 'b']), async (x, i) => `${x}${i}`, { concurrency: 1, prefetch: 0 })) out.push(v);
    expect(out).toEqual(['a0', 'b1']);
    const bad = boundedMap([1], async (x) => x, { concurrency: 0 });
    await expect(bad.next()).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});
