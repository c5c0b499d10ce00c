/** @jest-environment ./test/pipeline/engines/ort-environment.cjs */
// Given artifact versions with and without ONNX exports, when an engine is chosen, then auto takes onnxruntime
// only for a parity-checked export of exactly that version (itself or a sibling exported from it), onnx fails
// without one, tfjs is always tfjs; and the two engines score the same images alike.
import { MadenetError } from '../../../src/pipeline/core/errors.js';
import { chooseEngine, loadClassifierWithEngine, loadDetectorWithEngine, parseEngine } from '../../../src/pipeline/engines/engine-choice.js';
import { findOnnxExport } from '../../../src/pipeline/engines/onnx-artifact.js';
import { parityInputs } from '../../../src/pipeline/export/parity.js';
import { exportModel } from '../../../src/pipeline/services/export.js';
import { writeTinyArtifact } from './artifact-fixtures.js';
import { expectDetectorsAgree } from '../export/onnx-test-helpers.js';
import { useTempDir } from '../../helpers/temp-dir.js';
import { useBackend } from '../../helpers/backends.js';

describe('engine choice', () => {
  const tmp = useTempDir('madenet-engine-', 'test');
  useBackend('wasm');

  it('auto/onnx/tfjs with and without an export, following lineage to the exported sibling only', async () => {
    const v1 = await writeTinyArtifact(tmp.path, 'srad');
    expect(await chooseEngine('tfjs', v1.dir)).toEqual({ engine: 'tfjs', dir: v1.dir, reason: 'requested' });
    const none = await chooseEngine('auto', v1.dir);
    expect(none.engine).toBe('tfjs');
    expect(none.reason).toMatch(/no parity-checked ONNX export/);
    const err = await chooseEngine('onnx', v1.dir).catch((e: unknown) => e);
    expect((err as MadenetError).code).toBe('E_ENGINE');

    const v2 = await exportModel({ model: v1.dir, backend: 'wasm', threads: 1, parityImages: 2 });
    // The perfmap may point at v1: auto finds v2, exported from exactly v1; v2 itself is its own export.
    expect(await chooseEngine('auto', v1.dir)).toMatchObject({ engine: 'onnx', dir: v2.artifact.dir });
    expect(await chooseEngine('onnx', v2.artifact.dir)).toMatchObject({ engine: 'onnx', dir: v2.artifact.dir });
    expect(await chooseEngine('tfjs', v1.dir)).toMatchObject({ engine: 'tfjs', dir: v1.dir });
    // A later training run (v3) is other weights: v2's ONNX file is not for it.
    const v3 = await writeTinyArtifact(tmp.path, 'srad', 'QFN', 2);
    expect(await findOnnxExport(v3.dir)).toBeNull();
    expect((await chooseEngine('auto', v3.dir)).engine).toBe('tfjs');
  });

  it('--engine onnx and --engine tfjs give the same scores and maps on the same images', async () => {
    const v1 = await writeTinyArtifact(tmp.path, 'lpd');
    await exportModel({ model: v1.dir, backend: 'wasm', threads: 1, parityImages: 2 });
    const onnx = await loadDetectorWithEngine(v1.dir, 'onnx', { threads: 1 });
    const tfjs = await loadDetectorWithEngine(v1.dir, 'tfjs');
    expect([onnx.engine, tfjs.engine]).toEqual(['onnx', 'tfjs']);
    expect(onnx.choice.dir).not.toBe(v1.dir);
    const inputs = await parityInputs({ size: onnx.imageSize, count: 5, seed: 4, categories: ['BGA', 'QFN'] });
    await expectDetectorsAgree(tfjs, onnx, inputs);
  });

  it('loads the classifier with either engine', async () => {
    const v1 = await writeTinyArtifact(tmp.path, 'classifier');
    expect((await loadClassifierWithEngine(v1.dir, 'auto')).engine).toBe('tfjs');
    await exportModel({ model: v1.dir, backend: 'wasm', threads: 1, parityImages: 2 });
    const c = await loadClassifierWithEngine(v1.dir, 'auto', { threads: 1 });
    expect(c.engine).toBe('onnx');
    expect(c.categories).toEqual(['BGA', 'QFN', 'SOT']);
    c.dispose();
  });

  it('parses the flag value', () => {
    expect(parseEngine('onnx')).toBe('onnx');
    expect(() => parseEngine('gpu')).toThrow(MadenetError);
  });
});
