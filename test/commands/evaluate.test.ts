import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Evaluate from '../../src/commands/evaluate.js';
import { e2e, writeE2e } from '../pipeline/eval/e2e-data.js';
import { runCommand } from '../helpers/run-command.js';
import { useTempDir } from '../helpers/temp-dir.js';


interface Run {
  stdout: string;
  stderr: string;
  error: (Error & { code?: string }) | undefined;
  exitCode: number | string | undefined;
}

async function run(argv: string[]): Promise<Run> {
  return runCommand(Evaluate, argv);
}

describe('madenet evaluate', () => {
  const tmp = useTempDir('madenet-evaluate-cmd-');

  it('--json prints exactly metrics.json', async () => {
    const { data, predictions } = await writeE2e(join(tmp.path, 'a'));
    const out = join(tmp.path, 'a', 'report');
    const { stdout, error } = await run(['--predictions', predictions, '--data', data, '--out', out, '--json']);
    expect(error).toBeUndefined();
    const doc = JSON.parse(stdout);
    expect(doc).toEqual(JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')));
    expect(doc.schema).toBe('madenet.evaluation/v1');
    expect(doc.rows).toHaveLength(e2e.rows.length);
    expect(doc.rows[0].imageAuroc).toBeCloseTo(e2e.rows[0]?.imageAuroc as number, 12);
  });

  it('prints a per-category and per-defect-type table with the mean for humans, warnings on stderr', async () => {
    const { data, predictions } = await writeE2e(join(tmp.path, 'b'));
    const { stdout, stderr, error } = await run(['--predictions', predictions, '--data', data, '--target-fpr', '0.1']);
    expect(error).toBeUndefined();
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^category\s+type\s+normal\s+defect\s+image AUROC .* TPR@0\.1$/);
    expect(lines.some((l) => /^capacitor\s+\(all\)\s+4\s+5\s+0\.825\s/.test(l))).toBe(true);
    expect(lines.some((l) => /^\s+crack\s+4\s+3\s+0\.917\s/.test(l))).toBe(true);
    expect(lines.some((l) => /^resistor\s+\(all\)\s+3\s+0(\s+n\/a){7}$/.test(l))).toBe(true);
    expect(lines.some((l) => /^mean\s+\(categories\)\s+0\.825\s/.test(l))).toBe(true);
    expect(stdout).toContain(join(predictions, 'evaluation', 'report.html'));
    expect(stderr).toMatch(/warning: resistor: no defect images/);
  });

  it('refuses a --model that is no artifact, and needs exactly one of --predictions/--model', async () => {
    const a = await run(['--model', join(tmp.path, 'artifact'), '--data', tmp.path, '--out', join(tmp.path, 'eval-model')]);
    expect(a.error?.code).toBe('E_NOT_FOUND');
    const b = await run(['--data', tmp.path]);
    expect(b.error?.code).toBe('E_USAGE');
  });

  it('--json on failure prints one JSON error document with a stable code', async () => {
    const r = await run(['--predictions', join(tmp.path, 'none'), '--data', join(tmp.path, 'none'), '--json']);
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('E_NOT_FOUND');
  });
});
