// --config, --print-config and deprecated aliases through a real command (dataset make-demo: fast, writes files).
// Precedence: command line over the config file's command section over its shared keys over defaults.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import DatasetMakeDemo from '../../src/commands/dataset/make-demo.js';
import { currentInvocation } from '../../src/pipeline/artifacts/invocation.js';
import { runCommand } from '../helpers/run-command.js';
import { useTempDir } from '../helpers/temp-dir.js';

const small = ['--per-category', '1', '--test-per-category', '0', '--defects-per-category', '0', '--test-defects-per-category', '0'];

describe('--config and --print-config', () => {
  const tmp = useTempDir('madenet-config-cmd-', 'test');

  it('applies the file, its command section over its shared keys, and the command line over both', async () => {
    const config = join(tmp.path, 'run.yaml');
    await writeFile(config, ['seed: 7', 'size: 48', 'category: [SOD, SOT]', 'dataset make-demo:', '  size: 32', '  per-category: 1', ''].join('\n'));
    const r = await runCommand(DatasetMakeDemo, ['--config', config, '--out', join(tmp.path, 'd1'), '--category', 'BGA', ...small.slice(2), '--json']);
    expect(r.error).toBeUndefined();
    const result = JSON.parse(r.stdout) as { size: number; seed: number; categories: string[] };
    expect(result.size).toBe(32); // section over shared
    expect(result.seed).toBe(7); // shared over default
    expect(result.categories).toEqual(['BGA']); // command line over file
  });

  it('--print-config prints the effective settings and exits 0 without running; the printout is a config file', async () => {
    const config = join(tmp.path, 'run.json');
    await writeFile(config, JSON.stringify({ 'dataset make-demo': { size: 40, seed: 3 } }));
    const out = join(tmp.path, 'never');
    const r = await runCommand(DatasetMakeDemo, ['--config', config, '--out', out, '--seed', '5', '--print-config']);
    expect(r.error).toBeUndefined();
    expect(r.exitCode ?? 0).toBe(0);
    const printed = JSON.parse(r.stdout) as Record<string, Record<string, unknown>>;
    expect(printed['dataset make-demo']).toMatchObject({ size: 40, seed: 5, out, 'per-category': 60 });
    expect(printed['dataset make-demo']).not.toHaveProperty('print-config');
    await expect(readFile(join(out, 'README.md'))).rejects.toMatchObject({ code: 'ENOENT' });
    // Fed back, it gives the same settings.
    await writeFile(join(tmp.path, 'again.json'), r.stdout);
    const again = await runCommand(DatasetMakeDemo, ['--config', join(tmp.path, 'again.json'), '--print-config']);
    expect(JSON.parse(again.stdout)).toEqual(printed);
  });

  it('refuses an unknown key with E_CONFIG naming it', async () => {
    const config = join(tmp.path, 'bad.yaml');
    await writeFile(config, 'dataset make-demo:\n  sizes: 32\n');
    const r = await runCommand(DatasetMakeDemo, ['--config', config, '--out', join(tmp.path, 'x'), '--json']);
    const doc = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    expect(doc.error.code).toBe('E_CONFIG');
    expect(doc.error.message).toContain('dataset make-demo.sizes');
  });

  it('warns on stderr for each deprecated alias and still honours it; no invocation is left behind', async () => {
    const r = await runCommand(DatasetMakeDemo, ['--out', join(tmp.path, 'd2'), '--size', '32', '--categories', 'sod', ...small, '--json']);
    expect(r.error).toBeUndefined();
    expect(r.stderr).toContain('warning: --categories is deprecated and will be removed; use --category.');
    expect((JSON.parse(r.stdout) as { categories: string[] }).categories).toEqual(['SOD']);
    const plain = await runCommand(DatasetMakeDemo, ['--out', join(tmp.path, 'd3'), '--size', '32', '--category', 'sod', ...small, '--json']);
    expect(plain.stderr).not.toContain('deprecated');
    expect(currentInvocation()).toBeNull();
  });
});
