// The --config file's pieces: which settings apply to a command, how they become argv, and that the command line
// wins. The command-level behaviour (precedence through oclif, --print-config) is in test/commands/config-file.test.ts.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { aliasesUsed, effectiveConfig, flagsGiven, readConfigFile, settingsFor, settingsToArgv, type FlagShape } from '../../../src/pipeline/cli/config-file.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const flags: Record<string, FlagShape> = {
  data: { type: 'option' },
  epochs: { type: 'option' },
  category: { type: 'option', multiple: true, aliases: ['categories'] },
  gate: { type: 'boolean', allowNo: true },
  resume: { type: 'boolean' },
  config: { type: 'option' },
};
const all = { 'train-lpd': Object.keys(flags), infer: ['perfmap', 'input'], 'dataset:make-demo': ['size'] };

describe('config file', () => {
  const tmp = useTempDir('madenet-config-', 'test');

  it('reads YAML and JSON, and refuses other extensions and non-mappings with E_CONFIG', async () => {
    await writeFile(join(tmp.path, 'a.yaml'), 'data: ./d\nepochs: 3\ntrain-lpd:\n  gate: false\n');
    await writeFile(join(tmp.path, 'a.json'), '{"data": "./d", "epochs": 3}');
    await writeFile(join(tmp.path, 'a.txt'), 'data: x');
    await writeFile(join(tmp.path, 'list.yaml'), '- a\n- b\n');
    expect(await readConfigFile(join(tmp.path, 'a.yaml'))).toEqual({ data: './d', epochs: 3, 'train-lpd': { gate: false } });
    expect(await readConfigFile(join(tmp.path, 'a.json'))).toEqual({ data: './d', epochs: 3 });
    await expect(readConfigFile(join(tmp.path, 'a.txt'))).rejects.toMatchObject({ code: 'E_CONFIG' });
    await expect(readConfigFile(join(tmp.path, 'list.yaml'))).rejects.toMatchObject({ code: 'E_CONFIG', message: expect.stringContaining('a list') });
    await expect(readConfigFile(join(tmp.path, 'missing.yaml'))).rejects.toMatchObject({ code: 'E_CONFIG' });
  });

  it('takes shared keys the command has, lets its own section override them, and skips other commands\' keys and sections', () => {
    const doc = { data: './shared', perfmap: './p', epochs: 5, 'train-lpd': { epochs: 9 }, infer: { input: 'x' }, 'dataset make-demo': { size: 32 } };
    expect(settingsFor(doc, 'train-lpd', flags, all, 'f')).toEqual({ data: './shared', epochs: 9 });
  });

  it('refuses a key no command knows, and a section key its command does not have', () => {
    expect(() => settingsFor({ epoch: 5 }, 'train-lpd', flags, all, 'f')).toThrow(expect.objectContaining({ code: 'E_CONFIG', message: expect.stringContaining('"epoch"') }));
    expect(() => settingsFor({ 'train-lpd': { perfmap: 'x' } }, 'train-lpd', flags, all, 'f')).toThrow(expect.objectContaining({ code: 'E_CONFIG', message: expect.stringContaining('train-lpd.perfmap') }));
  });

  it('turns settings into argv, leaving out what the command line gives (by name, alias or --no-)', () => {
    const settings = { data: './d', epochs: 5, category: ['A', 'B'], gate: false, resume: true };
    expect(settingsToArgv(settings, flags, new Set(), 'f')).toEqual(['--data=./d', '--epochs=5', '--category=A', '--category=B', '--no-gate', '--resume']);
    const given = flagsGiven(['--categories', 'C', '--epochs=7', '--gate', 'pos', '--', '--data'], flags);
    expect([...given].sort()).toEqual(['category', 'epochs', 'gate']);
    expect(settingsToArgv(settings, flags, given, 'f')).toEqual(['--data=./d', '--resume']);
  });

  it('refuses values of the wrong shape', () => {
    expect(() => settingsToArgv({ epochs: [1, 2] }, flags, new Set(), 'f')).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
    expect(() => settingsToArgv({ gate: 'no' }, flags, new Set(), 'f')).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
    expect(() => settingsToArgv({ data: { a: 1 } }, flags, new Set(), 'f')).toThrow(expect.objectContaining({ code: 'E_CONFIG' }));
  });

  it('names the deprecated aliases a command line uses', () => {
    expect(aliasesUsed(['--categories=A', '--data', 'x', '--categories', 'B'], flags)).toEqual([{ alias: 'categories', name: 'category' }]);
    expect(aliasesUsed(['--category', 'A'], flags)).toEqual([]);
  });

  it('prints the effective settings as a document --config reads back, without the control flags', () => {
    expect(effectiveConfig('dataset:make-demo', { size: 32, json: true, config: 'x', 'print-config': true, seed: 42, out: undefined })).toEqual({ 'dataset make-demo': { seed: 42, size: 32 } });
  });
});
