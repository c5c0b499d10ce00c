import { jest } from '@jest/globals';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import DatasetMakeDemo from '../../../src/commands/dataset/make-demo.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Runs the command in-process and returns what it wrote to stdout. */
async function run(argv: string[]): Promise<{ stdout: string; error: unknown }> {
  let stdout = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    stdout += String(chunk);
    return true;
  });
  let error: unknown = null;
  try {
    await DatasetMakeDemo.run(argv, root);
  } catch (err) {
    error = err;
  } finally {
    spy.mockRestore();
  }
  return { stdout, error };
}

describe('madenet dataset make-demo', () => {
  let tmp: string;
  const exitCode = process.exitCode;
  beforeEach(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'madenet-make-demo-'));
  });
  afterEach(async () => {
    process.exitCode = exitCode;
    await rm(tmp, { recursive: true, force: true });
  });

  it('writes the dataset and returns its description as the --json result', async () => {
    const out = path.join(tmp, 'demo');
    const argv = ['--out', out, '--size', '32', '--category', 'sot,bga', '--per-category', '2', '--test-per-category', '1'];
    const { stdout, error } = await run([...argv, '--defects-per-category', '2', '--test-defects-per-category', '3', '--seed', '9', '--json']);
    expect(error).toBeNull();
    const result = JSON.parse(stdout);
    expect(Object.keys(result).sort()).toEqual(
      ['categories', 'complete', 'counts', 'defectTypes', 'elapsedMs', 'formatVersion', 'generator', 'images', 'layout', 'maskThreshold', 'masks', 'out', 'panel', 'perCategory', 'seed', 'size'].sort(),
    );
    expect(result).toMatchObject({
      generator: 'madenet-demo',
      complete: true,
      out,
      seed: 9,
      size: 32,
      categories: ['BGA', 'SOT'],
      perCategory: { trainGood: 2, trainDefect: 2, testGood: 1, testDefect: 3 },
      images: 2 * (2 + 2 + 1 + 3),
      masks: 2 * (2 + 3),
    });
    expect(result.counts.BGA.test).toEqual({ good: 1, missing_component: 1, shift: 1, solder_bridge: 1 });
    expect((await readdir(out)).sort()).toEqual(['BGA', 'SOT', 'demo.json']);
  });

  it('prints a one-line summary for humans', async () => {
    const out = path.join(tmp, 'demo');
    const { stdout, error } = await run(['--out', out, '--size', '32', '--category', 'SOD', '--per-category', '1', '--test-per-category', '0', '--defects-per-category', '0', '--test-defects-per-category', '1']);
    expect(error).toBeNull();
    expect(stdout).toMatch(/^Wrote 2 images \(1 defective, each with a mask\) for 1 category at 32x32 px to .*demo in [\d.]+ s \(seed 42\)\./);
  });

  it('fails with E_EXISTS on a non-empty folder that holds no demo output', async () => {
    await writeFile(path.join(tmp, 'other.txt'), 'x');
    const { stdout } = await run(['--out', tmp, '--size', '32', '--category', 'SOD', '--json']);
    // Under --json the error is the JSON document on stdout and the exit status is set, not thrown.
    expect(JSON.parse(stdout)).toMatchObject({ error: { code: 'E_EXISTS', exit: 1, message: expect.stringContaining(tmp) } });
    expect(process.exitCode).toBe(1);
    const plain = await run(['--out', tmp, '--size', '32', '--category', 'SOD']);
    expect(plain.error).toMatchObject({ code: 'E_EXISTS' });
    expect(await readdir(tmp)).toEqual(['other.txt']);
  });
});
