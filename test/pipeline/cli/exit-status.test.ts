// The exit status table: every error code raised anywhere in src/ gets the documented status, wherever it is raised
// and whatever status its raiser asked for; the README documents the same table.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MadenetError } from '../../../src/pipeline/core/errors.js';
import { EXIT_STATUS, exitStatusFor } from '../../../src/pipeline/core/exit-status.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : Promise.resolve(e.name.endsWith('.ts') ? [join(dir, e.name)] : []))));
  return nested.flat();
}

/** Every E_* code written as a string literal in src/ (errors raised, codes compared). */
async function codesInSource(): Promise<string[]> {
  const codes = new Set<string>();
  for (const file of await sourceFiles(join(root, 'src'))) {
    for (const m of (await readFile(file, 'utf8')).matchAll(/'(E_[A-Z][A-Z0-9_]*)'/g)) codes.add(m[1] as string);
  }
  return [...codes].sort();
}

/** The documented statuses other than 1; every other code fails with 1. */
const TABLE: Record<string, number> = { E_USAGE: 2, E_LOCKED: 75, E_INTERRUPTED: 130 };

describe('exit status table', () => {
  it('maps every code in src/ to its documented status (1 unless listed)', async () => {
    const codes = await codesInSource();
    expect(codes).toEqual(expect.arrayContaining(['E_USAGE', 'E_LOCKED', 'E_INTERRUPTED', 'E_NO_IMAGES', 'E_INTERNAL']));
    const got = Object.fromEntries(codes.map((c) => [c, new MadenetError(c as `E_${string}`, 'x').exit]));
    const want = Object.fromEntries(codes.map((c) => [c, TABLE[c] ?? 1]));
    expect(got).toEqual(want);
  });

  it('ignores a status asked for at the raise site, except 128 + signal for E_INTERRUPTED', () => {
    expect(new MadenetError('E_USAGE', 'x', { exit: 1 }).exit).toBe(2);
    expect(new MadenetError('E_LOCKED', 'x', { exit: 1 }).exit).toBe(75);
    expect(new MadenetError('E_DATASET', 'x', { exit: 2 }).exit).toBe(1);
    expect(new MadenetError('E_SOMETHING_NEW', 'x').exit).toBe(1);
    expect(new MadenetError('E_INTERRUPTED', 'x', { exit: 143 }).exit).toBe(143);
    expect(new MadenetError('E_INTERRUPTED', 'x', { exit: 1 }).exit).toBe(130);
    expect(exitStatusFor('E_INTERRUPTED')).toBe(130);
  });

  it('keeps the statuses scripts branch on, and the README lists each of them', async () => {
    expect(EXIT_STATUS).toEqual({ ok: 0, failure: 1, usage: 2, anomalies: 3, busy: 75, interrupted: 130 });
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Exit status'));
    for (const status of Object.values(EXIT_STATUS)) expect(section).toMatch(new RegExp(`^\\| ${status} \\|`, 'm'));
    for (const code of Object.keys(TABLE)) expect(section).toContain(code);
  });
});
