/** @jest-environment ./test/pipeline/engines/ort-environment.cjs */
// Given tiny artifacts of every exportable kind, when exported, then a new version holds the same files plus a
// parity-checked model.onnx recorded with its sha256; the onnx engine runs it like tfjs; tampering is refused;
// a failed parity check writes nothing.
import * as tf from '@tensorflow/tfjs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listVersions, loadArtifact, writeArtifact } from '../../../src/pipeline/artifacts/index.js';
import { sha256 } from '../../../src/pipeline/artifacts/files.js';
import { MadenetError } from '../../../src/pipeline/core/errors.js';
import { loadDetector } from '../../../src/pipeline/detectors/registry.js';
import { tfjsAsyncDetector } from '../../../src/pipeline/engines/async-detector.js';
import { loadOnnxClassifier, loadOnnxDetector } from '../../../src/pipeline/engines/onnx-detector.js';
import { readOnnxRecord } from '../../../src/pipeline/export/onnx-record.js';
import { parityInputs } from '../../../src/pipeline/export/parity.js';
import { writePng } from '../../../src/pipeline/io/decode.js';
import { exportModel } from '../../../src/pipeline/services/export.js';
import { writeTinyArtifact, type FixtureKind } from '../engines/artifact-fixtures.js';
import { expectDetectorsAgree, seededInput } from './onnx-test-helpers.js';
import { useTempDir } from '../../helpers/temp-dir.js';
import { useBackend } from '../../helpers/backends.js';
import { expectNoLeakAsync } from '../../helpers/tensor-leaks.js';

const RUN = { backend: 'wasm' as const, threads: 1, parityImages: 4 };

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(MadenetError);
  expect((err as MadenetError).code).toBe(code);
}

describe('export service', () => {
  const tmp = useTempDir('madenet-export-', 'test');
  useBackend('wasm');

  it.each<FixtureKind>(['srad', 'sfad', 'lpd', 'classifier'])('exports the tiny %s: new version, same files, recorded sha256 and parity', async (kind) => {
    const src = await writeTinyArtifact(tmp.path, kind);
    const r = await expectNoLeakAsync(() => exportModel({ model: src.dir, ...RUN }));
    expect(r.artifact.version).toBe(2);
    expect(r.parity.passed).toBe(true);
    expect(r.parity.source).toBe('demo');
    expect(r.parity.images).toBe(4);
    expect(r.parity.maxAbsScore).toBeLessThanOrEqual(1e-4 * Math.max(1, r.parity.scoreScale));

    const source = await loadArtifact(src.dir);
    const out = await loadArtifact(r.artifact.dir);
    expect(out.manifest.parents).toEqual([{ kind: source.manifest.kind, category: source.manifest.category, version: 1 }]);
    expect(out.manifest.models).toEqual(source.manifest.models);
    expect(out.manifest.config).toEqual(source.manifest.config);
    expect(out.manifest.metrics.note).toBe('fixture');
    for (const [name, entry] of Object.entries(source.manifest.files)) {
      if (name.endsWith('model.json')) continue; // re-serialised: same content, key order may differ
      expect(out.manifest.files[name]?.sha256).toBe(entry.sha256);
    }
    const onnxBytes = await readFile(join(r.artifact.dir, 'model.onnx'));
    const record = readOnnxRecord(out.manifest.metrics, out.dir);
    expect(record?.sha256).toBe(sha256(onnxBytes));
    expect(out.manifest.files['model.onnx']?.sha256).toBe(sha256(onnxBytes));
    expect(record?.exportedFrom.manifestSha256).toBe(sha256(await readFile(join(src.dir, 'manifest.json'))));

    // The exported version still loads in tfjs (the same model files), and the onnx engine agrees with it.
    const inputs = await parityInputs({ size: (out.manifest.config as { model: { imageSize: number } }).model.imageSize, count: 3, seed: 99, categories: ['SOT'] });
    if (kind === 'classifier') {
      const c = await loadOnnxClassifier(r.artifact.dir, { threads: 1 });
      const probs = await c.predictAsync(Float32Array.from(inputs.images.flatMap((i) => Array.from(i))), 3);
      c.dispose();
      expect(probs.length).toBe(9);
      for (let i = 0; i < 3; i++) expect(probs[i * 3]! + probs[i * 3 + 1]! + probs[i * 3 + 2]!).toBeCloseTo(1, 5);
    } else {
      const onnx = await loadOnnxDetector(r.artifact.dir, { threads: 1 });
      const tfjs = tfjsAsyncDetector(await loadDetector(r.artifact.dir));
      expect(onnx.engine).toBe('onnx');
      expect(onnx.kind).toBe(kind);
      await expectDetectorsAgree(tfjs, onnx, inputs);
    }
  });

  it('refuses a tampered ONNX file by checksum (the manifest and the export record)', async () => {
    const src = await writeTinyArtifact(tmp.path, 'srad');
    const r = await exportModel({ model: src.dir, ...RUN });
    const file = join(r.artifact.dir, 'model.onnx');
    const good = await readFile(file);
    const bad = Buffer.from(good);
    bad[bad.length - 10] = (bad[bad.length - 10] as number) ^ 0xff; // inside the last weights
    await writeFile(file, bad);
    await rejects(loadOnnxDetector(r.artifact.dir, { threads: 1 }), 'E_CHECKSUM');

    // A file swapped together with its manifest entry is still caught by the export record's sha256.
    await writeFile(file, bad);
    const manifestPath = join(r.artifact.dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    manifest.files['model.onnx'].sha256 = sha256(bad);
    await writeFile(manifestPath, JSON.stringify(manifest));
    await rejects(loadOnnxDetector(r.artifact.dir, { threads: 1 }), 'E_CHECKSUM');
  });

  it('fails loudly and writes no version when onnxruntime and tfjs disagree beyond the tolerance', async () => {
    const src = await writeTinyArtifact(tmp.path, 'srad');
    await rejects(exportModel({ model: src.dir, ...RUN, tolerance: 1e-12 }), 'E_PARITY');
    expect((await listVersions(tmp.path, 'srad', 'QFN')).map((v) => v.version)).toEqual([1]);
  });

  it('runs the parity check on --data images, named in the record', async () => {
    const src = await writeTinyArtifact(tmp.path, 'sfad');
    const data = join(tmp.path, 'images');
    for (let i = 0; i < 5; i++) await writePng(join(data, `img-${i}.png`), { width: 40, height: 40, data: seededInput([40 * 40 * 3], i) });
    const r = await exportModel({ model: src.dir, ...RUN, parityImages: 3, data });
    expect(r.parity.source).toBe('data');
    // Evenly spread over the sorted files: first, middle, last.
    expect(r.parity.inputs).toEqual([0, 2, 4].map((i) => join(data, `img-${i}.png`)));
  });

  it('refuses artifacts of a kind that has no export, and bad options', async () => {
    const other = await writeArtifact({ root: tmp.path, kind: 'perfmap', category: 'all', config: null, seed: 0, files: { 'perfmap.json': '{}' } });
    await rejects(exportModel({ model: other.dir, ...RUN }), 'E_EXPORT');
    const src = await writeTinyArtifact(tmp.path, 'srad');
    await rejects(exportModel({ model: src.dir, ...RUN, tolerance: 2 }), 'E_USAGE');
    await rejects(exportModel({ model: src.dir, ...RUN, parityImages: 0 }), 'E_USAGE');
  });
});
