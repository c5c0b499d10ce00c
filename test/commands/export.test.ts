/** @jest-environment ./test/pipeline/engines/ort-environment.cjs */
// Given a tiny SRAD artifact, when `madenet export` runs (in-process, through the oclif command), then --json
// prints the result document (new version, ONNX file, parity numbers), humans get a summary, and a failing
// parity check exits 1 with E_PARITY in the JSON error.
import { join } from 'node:path';
import Export from '../../src/commands/export.js';
import { writeTinyArtifact } from '../pipeline/engines/artifact-fixtures.js';
import { runCommand } from '../helpers/run-command.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useBackend } from '../helpers/backends.js';


async function run(argv: string[]): Promise<{ stdout: string; stderr: string; exitCode: number | string | undefined }> {
  return runCommand(Export, argv);
}

describe('madenet export', () => {
  const tmp = useTempDir('madenet-export-cmd-', 'test');
  useBackend('wasm');

  it('--json prints the result document', async () => {
    const src = await writeTinyArtifact(tmp.path, 'srad');
    const r = await run(['--model', src.dir, '--backend', 'wasm', '--threads', '1', '--parity-images', '2', '--json']);
    expect(r.exitCode ?? 0).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.source).toMatchObject({ kind: 'srad', category: 'QFN', version: 1 });
    expect(doc.artifact.version).toBe(2);
    expect(doc.onnx).toMatchObject({ file: 'model.onnx', opset: 17 });
    expect(doc.onnx.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(doc.parity).toMatchObject({ passed: true, source: 'demo', images: 2, tolerance: { relative: 1e-4 } });
    expect(r.stderr).toBe('');
  });

  it('prints a summary for humans', async () => {
    const src = await writeTinyArtifact(tmp.path, 'sfad');
    const r = await run(['--model', src.dir, '--backend', 'wasm', '--threads', '1', '--parity-images', '2']);
    expect(r.stdout).toMatch(/^Exported sfad QFN v1 -> .*v0002$/m);
    expect(r.stdout).toMatch(/parity on 2 demo images \(onnxruntime [\d.]+ vs tfjs wasm\).*-> passed/);
    expect(r.stderr).toMatch(/parity check on 2 demo images/);
  });

  it('exits 1 with E_PARITY when the check fails', async () => {
    const src = await writeTinyArtifact(tmp.path, 'srad');
    const r = await run(['--model', src.dir, '--backend', 'wasm', '--threads', '1', '--parity-images', '2', '--tolerance', '1e-12', '--json']);
    expect(r.exitCode).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.error.code).toBe('E_PARITY');
    expect(doc.error.message).toMatch(/Nothing was written/);
  });
});
