/** @jest-environment ./test/pipeline/engines/ort-environment.cjs */
// Given what the installed onnxruntime-node offers, when an execution provider is asked for, then cpu always
// runs, cuda runs only with its provider library (sessions then list cuda before cpu), and otherwise the
// error is E_EXECUTION_PROVIDER naming the provider, what the package supports and the install fix; a
// loaded onnx model reports the providers its session runs.
import { join } from 'node:path';
import { MadenetError } from '../../../src/pipeline/core/errors.js';
import { chooseEngine, loadDetectorWithEngine } from '../../../src/pipeline/engines/engine-choice.js';
import { parseExecutionProvider, providerUnavailable, sessionProviders, type OrtProviderFacts } from '../../../src/pipeline/engines/execution-provider.js';
import { ortProviderFacts, ortSessionOptions } from '../../../src/pipeline/engines/onnxruntime.js';
import { exportModel } from '../../../src/pipeline/services/export.js';
import { writeTinyArtifact } from './artifact-fixtures.js';
import { useTempDir } from '../../helpers/temp-dir.js';
import { useBackend } from '../../helpers/backends.js';

const backends = [
  { name: 'cpu', bundled: true },
  { name: 'webgpu', bundled: true },
  { name: 'cuda', bundled: false },
  { name: 'tensorrt', bundled: false },
];
const lib = '/x/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so';

function codeOf(e: unknown): string | undefined {
  return e instanceof MadenetError ? e.code : undefined;
}

describe('execution providers', () => {
  it('parses the flag value and lists cpu behind cuda', () => {
    expect(parseExecutionProvider('cuda')).toBe('cuda');
    expect(parseExecutionProvider('cpu')).toBe('cpu');
    expect(() => parseExecutionProvider('gpu')).toThrow(MadenetError);
    expect(sessionProviders('cpu')).toEqual(['cpu']);
    expect(sessionProviders('cuda')).toEqual(['cuda', 'cpu']);
    expect(ortSessionOptions({ executionProvider: 'cuda', threads: 1 })).toMatchObject({ executionProviders: ['cuda', 'cpu'], intraOpNumThreads: 1 });
    expect(ortSessionOptions({ threads: 2 }).executionProviders).toEqual(['cpu']);
  });

  it('decides availability from the package facts', () => {
    const installed: OrtProviderFacts = { version: '1.30.0', backends, library: { path: lib, present: true } };
    expect(providerUnavailable('cuda', installed)).toBeNull();
    expect(providerUnavailable('cuda', { ...installed, backends: [{ name: 'cpu', bundled: true }, { name: 'cuda', bundled: true }], library: null })).toBeNull();
    expect(providerUnavailable('cpu', { ...installed, library: { path: lib, present: false } })).toBeNull();

    const skipped = providerUnavailable('cuda', { ...installed, library: { path: lib, present: false } });
    expect(skipped?.code).toBe('E_EXECUTION_PROVIDER');
    expect(skipped?.message).toContain('onnxruntime-node 1.30.0 cannot run the cuda execution provider');
    expect(skipped?.message).toContain('it supports cpu, webgpu (cuda, tensorrt only once their provider libraries are installed)');
    expect(skipped?.message).toContain(lib);
    expect(skipped?.suggestions.join('\n')).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node');
    expect(skipped?.suggestions.join('\n')).toContain('CUDA 12 and cuDNN 9');

    const noCuda = providerUnavailable('cuda', { version: '1.30.0', backends: [{ name: 'cpu', bundled: true }], library: null });
    expect(noCuda?.message).toMatch(/this build has no cuda provider/);
    const missing = providerUnavailable('cuda', { version: null, loadError: 'onnxruntime-node is not installed', backends: null, library: null });
    expect(missing?.code).toBe('E_EXECUTION_PROVIDER');
    expect(missing?.message).toContain('onnxruntime-node is not installed');
    expect(providerUnavailable('cpu', { version: null, loadError: 'x', backends: null, library: null })?.code).toBe('E_EXECUTION_PROVIDER');
  });

  describe('with the installed onnxruntime-node', () => {
    useBackend('wasm');
    const tmp = useTempDir('madenet-provider-');

    it('loads an exported model on cpu, and on cuda only where the CUDA provider is installed', async () => {
      const facts = await ortProviderFacts('cuda');
      expect(facts.version).toMatch(/^\d+\.\d+\.\d+/);
      const cuda = facts.backends?.find((b) => b.name === 'cuda');
      const cudaHere = providerUnavailable('cuda', facts) === null;
      // The package's own listing and the file on disk agree with the decision.
      expect(cudaHere).toBe(cuda !== undefined && (cuda.bundled || facts.library?.present === true));

      const v1 = await writeTinyArtifact(tmp.path, 'sfad');
      await exportModel({ model: v1.dir, backend: 'wasm', threads: 1, parityImages: 2 });
      const cpu = await loadDetectorWithEngine(v1.dir, 'onnx', { threads: 1, executionProvider: 'cpu' });
      expect(cpu.executionProviders).toEqual(['cpu']);
      expect(cpu.choice.provider).toBe('cpu');
      cpu.dispose();

      const tried = await loadDetectorWithEngine(v1.dir, 'auto', { threads: 1, executionProvider: 'cuda' }).catch((e: unknown) => e);
      if (cudaHere) {
        expect((tried as { executionProviders: string[] }).executionProviders).toEqual(['cuda', 'cpu']);
        (tried as { dispose(): void }).dispose();
      } else {
        expect(codeOf(tried)).toBe('E_EXECUTION_PROVIDER');
        expect((tried as Error).message).toMatch(/cuda/);
      }
      // cuda never runs on tfjs: requested, or as auto's fallback for a version without an export.
      await expect(chooseEngine('tfjs', v1.dir, 'cuda')).rejects.toMatchObject({ code: 'E_USAGE' });
      const v3 = await writeTinyArtifact(tmp.path, 'sfad', 'QFN', 3);
      await expect(chooseEngine('auto', v3.dir, 'cuda')).rejects.toMatchObject({ code: 'E_ENGINE' });
      expect((await chooseEngine('auto', v3.dir, 'cpu')).engine).toBe('tfjs');
    });
  });
});
