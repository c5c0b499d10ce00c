// `--shard K/N`: a deterministic partition of the ordered input (sorted paths for a glob or directory, line
// order for a list), image i going to shard i mod N, so that N independent runs cover every image once.
import { MadenetError } from '../core/errors.js';

export interface Shard {
  /** 0-based, < count. */
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index >= 0 && index < count)) {
    throw new MadenetError('E_USAGE', `--shard is "${text}"; expected K/N with 0 <= K < N, e.g. 0/4 (K is 0-based, as $SLURM_ARRAY_TASK_ID and $JOB_COMPLETION_INDEX are).`);
  }
  return { index, count };
}

export function formatShard(s: Shard): string {
  return `${s.index}/${s.count}`;
}

/** How many of `count` ordered items fall to `shard` (all of them without a shard). */
export function shardSize(count: number, shard: Shard | null): number {
  if (shard === null) return count;
  return count > shard.index ? Math.floor((count - shard.index - 1) / shard.count) + 1 : 0;
}

/** Keeps the items whose position in `source` falls to `shard` (all of them without a shard). */
export async function* takeShard<T>(source: AsyncIterable<T>, shard: Shard | null): AsyncGenerator<T> {
  let i = 0;
  for await (const item of source) {
    if (shard === null || i % shard.count === shard.index) yield item;
    i++;
  }
}
