// The flags a training command test starts from: a tiny dataset written to <tmp>/data before the block's tests,
// trained on category "widget" into <tmp>/out on one wasm thread. Each test adds the flags it is about.
import { beforeAll } from '@jest/globals';
import { join } from 'node:path';
import type { TempDir } from './temp-dir.js';
import { makeTinyDataset, type TinyDatasetOptions } from './tiny-dataset.js';

/** `--data <tmp>/data --category widget --out <tmp>/out ...flags --backend wasm --threads 1`, filled in before the tests. */
export function useTrainCommandFlags(tmp: TempDir, dataset: TinyDatasetOptions, flags: readonly string[]): string[] {
  const common: string[] = [];
  beforeAll(async () => {
    await makeTinyDataset(join(tmp.path, 'data'), dataset);
    common.push('--data', join(tmp.path, 'data'), '--category', 'widget', '--out', join(tmp.path, 'out'), ...flags, '--backend', 'wasm', '--threads', '1');
  });
  return common;
}
