// Order-preserving async map with bounded work in flight: at most `concurrency` calls of fn run at once and
// at most `concurrency + prefetch` items are taken from the source and not yet done with by the consumer.
// The source is pulled lazily, so a slow consumer stops the producer (backpressure) and memory stays flat.
import pLimit from 'p-limit';
import { MadenetError } from '../core/errors.js';

export interface BoundedMapOptions {
  /** Calls of fn running at once (>= 1). */
  concurrency: number;
  /** Extra results computed ahead of the consumer (>= 0); default equals concurrency. */
  prefetch?: number;
}

interface Slot<R> {
  promise: Promise<R>;
}

export async function* boundedMap<T, R>(
  source: Iterable<T> | AsyncIterable<T>,
  fn: (item: T, index: number) => Promise<R>,
  opts: BoundedMapOptions,
): AsyncGenerator<R> {
  const concurrency = Math.floor(opts.concurrency);
  const prefetch = Math.floor(opts.prefetch ?? concurrency);
  if (!(concurrency >= 1) || !(prefetch >= 0)) {
    throw new MadenetError(
      'E_USAGE',
      `boundedMap got concurrency ${opts.concurrency} and prefetch ${opts.prefetch}; expected concurrency >= 1 and prefetch >= 0.`,
    );
  }
  const bound = concurrency + prefetch;
  // rejectOnClear: tasks dropped on early exit settle, so the cleanup below can wait for the rest.
  const limit = pLimit({ concurrency, rejectOnClear: true });
  const it = toAsyncIterator(source);
  const queue: Slot<R>[] = [];
  let index = 0;
  let exhausted = false;

  // Starts work until `room` items are queued; p-limit's own queue thus never exceeds prefetch.
  const fill = async (room: number): Promise<void> => {
    while (!exhausted && queue.length < room) {
      const next = await it.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const i = index++;
      const promise = limit(() => fn(next.value, i));
      promise.catch(() => undefined); // reported in order when reached; avoid an unhandled rejection meanwhile
      queue.push({ promise });
    }
  };

  try {
    for (;;) {
      // The consumer asked for the next value, so it is done with the previous one: the full bound is free.
      await fill(bound);
      const head = queue.shift();
      if (!head) break;
      const value = await head.promise;
      // Refill before yielding so work goes on while the consumer handles `value`; the value it holds
      // counts against the bound, so prefetch 0 really means nothing is computed ahead of it.
      await fill(bound - 1);
      yield value;
    }
  } finally {
    // On early exit or error: let started work finish (no writes after we return) and close the source.
    limit.clearQueue();
    await Promise.allSettled(queue.map((s) => s.promise));
    if (!exhausted) await it.return?.();
  }
}

function toAsyncIterator<T>(source: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in source) return (source as AsyncIterable<T>)[Symbol.asyncIterator]();
  const sync = (source as Iterable<T>)[Symbol.iterator]();
  return {
    next: async () => sync.next(),
    return: async (v?: unknown) => sync.return?.(v as never) ?? { done: true, value: undefined as never },
  };
}
