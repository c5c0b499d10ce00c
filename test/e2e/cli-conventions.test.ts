// oclif conventions through the real binary, started from a folder outside the clone (as an installed `madenet`
// is): help, -h, version, did-you-mean on typos, and the exit status of usage errors. Needs `npm run build`.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useTempDir } from '../helpers/temp-dir.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'run.js');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function madenet(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd, env: { ...process.env, NODE_OPTIONS: '', ...env } }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

describe('madenet CLI conventions (bin/run.js from another folder)', () => {
  const tmp = useTempDir('madenet-cli-');

  it('`help infer`, `infer -h` and `infer --help` print the same help and exit 0', async () => {
    const [a, b, c] = await Promise.all([madenet(['help', 'infer'], tmp.path), madenet(['infer', '-h'], tmp.path), madenet(['infer', '--help'], tmp.path)]);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('$ madenet infer --perfmap <value> -i <value> -o <value>');
    expect(a.stdout).toMatch(/GLOBAL FLAGS[\s\S]*-q, --quiet[\s\S]*--verbose/);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    const sub = await madenet(['help', 'dataset', 'make-demo'], tmp.path);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('$ madenet dataset make-demo');
  });

  it('`version`, `--version` and `-v` print madenet/<version>', async () => {
    const runs = await Promise.all([madenet(['version'], tmp.path), madenet(['--version'], tmp.path), madenet(['-v'], tmp.path)]);
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^madenet\/\d+\.\d+\.\d+ \S+ node-v\d+/);
    }
    expect(new Set(runs.map((r) => r.stdout)).size).toBe(1);
    const json = await madenet(['version', '--json'], tmp.path);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'madenet', node: process.version });
  });

  it('suggests the closest commands for a typo and exits 2 (a usage error)', async () => {
    const r = await madenet(['trian-srad'], tmp.path);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('`trian-srad` is not a madenet command.');
    expect(r.stderr).toContain('Did you mean `madenet train-srad`?');
    const topic = await madenet(['datset', 'inspect'], tmp.path);
    expect(topic.code).toBe(2);
    expect(topic.stderr).toContain('Did you mean `madenet dataset inspect`?');
  });

  it('exits 2 for flag errors, as for E_USAGE raised by a command', async () => {
    const unknown = await madenet(['infer', '--bogus'], tmp.path);
    expect(unknown.code).toBe(2);
    const missing = await madenet(['infer', '--json'], tmp.path);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).error).toMatchObject({ code: 'E_USAGE', exit: 2 });
    const shard = await madenet(['infer', '-i', 'x', '-o', join(tmp.path, 'o'), '--perfmap', 'p', '--shard', '5/2', '--json'], tmp.path);
    expect(shard.code).toBe(2);
    expect(JSON.parse(shard.stdout).error).toMatchObject({ code: 'E_USAGE', exit: 2 });
  });

  it('runs without npm: no npm warning, nothing but the result on stdout', async () => {
    const r = await madenet(['version'], tmp.path);
    expect(r.stderr).toBe('');
  });
});
