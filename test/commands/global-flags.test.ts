// The global flags every command has: --quiet (-q) prints nothing but errors, --verbose adds error stack traces;
// and usage errors raised by a command exit 2 like oclif's own flag errors.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import DatasetMakeDemo from '../../src/commands/dataset/make-demo.js';
import { closestCommands, editDistance } from '../../src/pipeline/cli/did-you-mean.js';
import { runCommand } from '../helpers/run-command.js';
import { useTempDir } from '../helpers/temp-dir.js';

const tiny = ['--size', '32', '--category', 'SOD', '--per-category', '1', '--test-per-category', '0', '--defects-per-category', '0', '--test-defects-per-category', '1'];

describe('global flags', () => {
  const tmp = useTempDir('madenet-global-flags-');

  it('--quiet and -q print nothing on success; without them the summary is printed', async () => {
    const loud = await runCommand(DatasetMakeDemo, ['--out', join(tmp.path, 'loud'), ...tiny]);
    expect(loud.stdout).toMatch(/^Wrote 2 images/);
    for (const [i, flag] of ['--quiet', '-q'].entries()) {
      const r = await runCommand(DatasetMakeDemo, ['--out', join(tmp.path, `quiet-${i}`), ...tiny, flag]);
      expect(r.error).toBeUndefined();
      expect([r.stdout, r.stderr]).toEqual(['', '']);
    }
    // --json still prints its document under --quiet.
    const json = await runCommand(DatasetMakeDemo, ['--out', join(tmp.path, 'quiet-json'), ...tiny, '-q', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ images: 2 });
  });

  it('--verbose prints the stack trace of an error; exit statuses follow the code', async () => {
    const taken = join(tmp.path, 'taken');
    await mkdir(taken);
    await writeFile(join(taken, 'other.txt'), 'x');
    const plain = await runCommand(DatasetMakeDemo, ['--out', taken, ...tiny]);
    expect(plain.error).toMatchObject({ code: 'E_EXISTS' });
    expect(plain.exitCode).toBe(1);
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const verbose = await runCommand(DatasetMakeDemo, ['--out', taken, ...tiny, '--verbose']);
    expect(verbose.exitCode).toBe(1);
    expect(verbose.stderr).toMatch(/MadenetError: [\s\S]*\n\s+at /);
    const usage = await runCommand(DatasetMakeDemo, ['--out', join(tmp.path, 'bad'), '--size', '7', '--json']);
    expect(JSON.parse(usage.stdout).error).toMatchObject({ code: 'E_USAGE', exit: 2 });
    expect(usage.exitCode).toBe(2);
    const both = await runCommand(DatasetMakeDemo, ['--out', join(tmp.path, 'both'), ...tiny, '--quiet', '--verbose', '--json']);
    expect(JSON.parse(both.stdout).error.code).toBe('E_USAGE');
    expect(both.exitCode).toBe(2);
  });
});

describe('did-you-mean', () => {
  it('measures edits and ranks the closest command names', () => {
    expect([editDistance('', 'abc'), editDistance('kitten', 'sitting'), editDistance('same', 'same')]).toEqual([3, 3, 0]);
    const ids = ['train-srad', 'train-sfad', 'train-lpd', 'train-classifier', 'infer', 'infer merge', 'dataset inspect', 'dataset make-demo', 'doctor', 'demo'];
    expect(closestCommands('trian-srad', ids)).toEqual(['train-srad', 'train-sfad']);
    expect(closestCommands('infre', ids)).toEqual(['infer']);
    expect(closestCommands('datset inspect', ids)).toEqual(['dataset inspect']);
    expect(closestCommands('demo', ids)[0]).toBe('demo');
    expect(closestCommands('zzzzzzzz', ids)).toEqual([]);
  });
});
