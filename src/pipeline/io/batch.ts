// Groups an async stream into arrays of `size` (the last one may be shorter, or dropped). Pulls one item at a
// time, so it adds no read-ahead of its own beyond the batch being filled.
import { MadenetError } from '../core/errors.js';

/** `dropShort`: leave out a last batch shorter than `size` (training: batch norm dislikes tiny batches). */
export async function* batches<T>(source: AsyncIterable<T> | Iterable<T>, size: number, opts: { dropShort?: boolean } = {}): AsyncGenerator<T[]> {
  if (!Number.isInteger(size) || size < 1) {
    throw new MadenetError('E_USAGE', `Batch size ${size} is not valid; expected an integer >= 1.`);
  }
  let batch: T[] = [];
  for await (const item of source) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0 && !opts.dropShort) yield batch;
}
