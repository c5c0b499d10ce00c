// Hostile weight files and models that must never become artifacts: NaN/Inf, overlapping offsets, trailing
// bytes, deep or oversized headers (bounded memory), exploded weights, a degenerate trained detector, --lr 1e6.
import * as tf from '@tensorflow/tfjs';
import { open, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeArtifact } from '../../src/pipeline/artifacts/index.js';
import { weightsImport } from '../../src/pipeline/services/weights-import.js';
import { trainSrad } from '../../src/pipeline/services/train-srad.js';
import { checkTrainNumbers } from '../../src/pipeline/train/train-options.js';
import { thresholdsFile } from '../../src/pipeline/train/train-detector-validation.js';
import { modelArtifactsOf } from '../../src/pipeline/artifacts/tfjs-files.js';
import { openSafetensorsFile, readSafetensors, writeSafetensors } from '../../src/pipeline/weights/safetensors.js';
import { RESNET_SPECS } from '../../src/models/components/resnet.js';
import { failure } from '../helpers/training-run.js';
import { torchvisionResNetShapes } from '../pipeline/weights/torch-reference.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { useBackend } from '../helpers/backends.js';

/** A safetensors file from a raw header object and data bytes (offsets as given, nothing checked). */
function handMade(header: Record<string, unknown>, data: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8 + json.length + data.length);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  Buffer.from(data).copy(out, 8 + json.length);
  return out;
}

const rssMb = (): number => process.memoryUsage.rss() / 2 ** 20;

describe('hostile weights (items 3, 4, 8)', () => {
  useBackend('cpu');
  const tmp = useTempDir('madenet-hostile-weights-');

  it('item 3: refuses NaN/Inf values, overlapping offsets and trailing bytes, naming the tensor or the bytes', async () => {
    const nan = writeSafetensors({ w: { shape: [3], data: Float32Array.of(1, Number.NaN, 2) } });
    expect(() => readSafetensors(nan, 'nan.safetensors')).toThrow(expect.objectContaining({ code: 'E_WEIGHTS', message: expect.stringMatching(/tensor w holds NaN at index 1/) }));
    const inf = writeSafetensors({ w: { shape: [2], data: Float32Array.of(Number.POSITIVE_INFINITY, 0) } });
    await writeFile(join(tmp.path, 'inf.safetensors'), inf);
    const file = await openSafetensorsFile(join(tmp.path, 'inf.safetensors'));
    try {
      expect(() => file.tensors.get('w')?.data).toThrow(/tensor w holds Infinity at index 0/);
    } finally {
      await file.close();
    }
    const overlap = handMade({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12));
    expect(() => readSafetensors(overlap)).toThrow(/tensor b \(bytes 4\.\.12\) overlaps/);
    const trailing = handMade({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4 + 1000));
    expect(() => readSafetensors(trailing)).toThrow(/1000 trailing bytes after the last tensor/);
  });

  it('item 3: weights import of a complete ResNet-18 state dict with one NaN writes no artifact, naming the tensor', async () => {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, shape] of torchvisionResNetShapes(RESNET_SPECS.resnet18)) {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(name.endsWith('running_var') ? 1 : 0.01);
      tensors.set(name, { shape, data });
    }
    (tensors.get('layer2.0.conv1.weight')?.data as Float32Array)[7] = Number.NaN;
    const file = join(tmp.path, 'nan-import.safetensors');
    await writeFile(file, writeSafetensors(tensors));
    const err = await failure(weightsImport({ file, arch: 'resnet18', out: join(tmp.path, 'imp'), seed: 1 }));
    expect(err.code).toBe('E_WEIGHTS');
    expect(err.message).toMatch(/tensor layer2\.0\.conv1\.weight holds NaN at index 7/);
    expect(await readdir(join(tmp.path, 'imp')).catch(() => [])).toEqual([]);
  });

  it('item 8: a deeply nested or oversized header is refused before JSON.parse, with bounded memory', async () => {
    const depth = 1_000_000;
    const nested = Buffer.from('{"a":' + '['.repeat(depth) + ']'.repeat(depth) + '}');
    const deepFile = Buffer.alloc(8 + nested.length);
    deepFile.writeBigUInt64LE(BigInt(nested.length), 0);
    nested.copy(deepFile, 8);
    const before = rssMb();
    expect(() => readSafetensors(deepFile, 'deep')).toThrow(/nests deeper than 3 levels/);
    expect(rssMb() - before).toBeLessThan(100);
    const wide = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: new Array(1000).fill(1), data_offsets: [0, 4] } }));
    const wideFile = Buffer.alloc(8 + wide.length + 4);
    wideFile.writeBigUInt64LE(BigInt(wide.length), 0);
    wide.copy(wideFile, 8);
    expect(() => readSafetensors(wideFile)).toThrow(/more than 16 values in one array/);
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(BigInt(90_000_000), 0);
    expect(() => readSafetensors(huge)).toThrow(/header length 90000000/);
  });

  it('item 8: a 1.5 GB weight file is not read into memory (sparse file, trailing bytes refused from the header alone)', async () => {
    const file = join(tmp.path, 'big.safetensors');
    const head = handMade({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4));
    const fh = await open(file, 'w');
    await fh.write(head, 0, head.length, 0);
    await fh.truncate(1.5 * 2 ** 30); // sparse: no disk used
    await fh.close();
    const before = rssMb();
    const err = await failure(weightsImport({ file, arch: 'resnet18', out: join(tmp.path, 'big-out'), seed: 1 }));
    expect(err.code).toBe('E_WEIGHTS');
    expect(err.message).toMatch(/trailing bytes/);
    expect(rssMb() - before).toBeLessThan(150);
  });

  it('item 4: --lr 1e6 is refused by every trainer before anything is written', async () => {
    expect(() => checkTrainNumbers({ epochs: 1, batchSize: 1, lr: 1e6, valFraction: 0.2, checkpointEvery: 0 })).toThrow(
      expect.objectContaining({ code: 'E_USAGE', message: expect.stringContaining('--lr is 1000000') }),
    );
    const err = await failure(trainSrad({ data: join(tmp.path, 'nowhere'), category: 'c', out: join(tmp.path, 'srad'), preset: 'tiny', epochs: 1, batchSize: 1, lr: 1e6, seed: 1, backend: 'cpu', threads: 1 }));
    expect(err.code).toBe('E_USAGE');
    expect(await readdir(join(tmp.path, 'srad')).catch(() => [])).toEqual([]);
  });

  it('item 4: exploded weights (5.8e27) never become a version or LATEST; a degenerate detector is refused', async () => {
    const x = tf.input({ shape: [2] });
    const model = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 1 }).apply(x) as tf.SymbolicTensor });
    tf.tidy(() => model.setWeights(model.getWeights().map((w, i) => (i === 0 ? tf.fill(w.shape, 5.8e27) : w))));
    const err = await failure(writeArtifact({ root: join(tmp.path, 'exploded'), kind: 'srad', category: 'c', config: {}, seed: 1, models: { model: await modelArtifactsOf(model) } }));
    model.dispose();
    expect(err.code).toBe('E_WEIGHTS');
    expect(err.message).toMatch(/holds 5\.80e\+27 at index 0/);
    expect(await readdir(join(tmp.path, 'exploded')).catch(() => [])).toEqual([]);
    const constant = { imageAuroc: 0.5, pixelAp: 0, threshold: { threshold: 0, method: 'f1' as const, fpr: 1, normals: 4, defects: 4 }, mapRange: { lo: 0, hi: 0 }, maskThreshold: 0, scoreScale: null, normals: 4, defects: 4, maskedDefects: 4 };
    expect(() => thresholdsFile(constant)).toThrow(expect.objectContaining({ code: 'E_DEGENERATE', message: expect.stringContaining('span 0..0') }));
  });
});
