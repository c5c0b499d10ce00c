// A real temp folder for the tests of one describe block: made before them (once, or afresh before each test)
// and removed after, so a test file states only its prefix. Not for folders a single test makes and removes itself.
import { afterAll, afterEach, beforeAll, beforeEach } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  /** The folder; set once the block's beforeAll/beforeEach has run. */
  readonly path: string;
  /** `<path>/<stem>-<n>` with n = 0, 1, 2, ... over the calls: a fresh output folder per use (not created). */
  next(stem: string): string;
}

/** `scope` 'suite': one folder for the whole block; 'test': a fresh one for each test (nothing leaks between them). */
export function useTempDir(prefix: string, scope: 'suite' | 'test' = 'suite'): TempDir {
  let n = 0;
  const tmp = { path: '', next: (stem: string): string => join(tmp.path, `${stem}-${n++}`) };
  const [before, after] = scope === 'suite' ? [beforeAll, afterAll] : [beforeEach, afterEach];
  before(async () => {
    tmp.path = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    if (tmp.path !== '') await rm(tmp.path, { recursive: true, force: true });
  });
  return tmp;
}
