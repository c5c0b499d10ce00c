import { afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WeightsImport from '../../../src/commands/weights/import.js';
import { buildBackbone } from '../../../src/models/components/backbone.js';
import { RESNET_SPECS } from '../../../src/models/components/resnet.js';
import { MadenetError } from '../../../src/pipeline/core/errors.js';
import { initRuntime } from '../../../src/pipeline/runtime/backend.js';
import { weightsImport } from '../../../src/pipeline/services/weights-import.js';
import { loadBackbone } from '../../../src/pipeline/weights/backbone-source.js';
import { writeSafetensors } from '../../../src/pipeline/weights/safetensors.js';
import { planTorchWeights } from '../../../src/pipeline/weights/torch-mapping.js';
import { torchvisionResNetShapes, type StateDict } from './torch-reference.js';
import { PickleBuilder, writePth, writeZip } from './torch-pth-writer.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** A full torchvision ResNet-18 state dict with cheap deterministic values (11.7M floats). */
function resnet18Dict(prefix = ''): StateDict {
  const dict: StateDict = new Map();
  let offset = 0;
  for (const [name, shape] of torchvisionResNetShapes(RESNET_SPECS.resnet18)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = name.endsWith('running_var') ? 1 : ((offset + i) % 1009) * 1e-4 - 0.05; // cheap, varied, exact in float32 order
    offset += n;
    dict.set(prefix + name, { shape, data });
  }
  return dict;
}

async function expectError(p: Promise<unknown>, code: string): Promise<MadenetError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MadenetError);
  expect((err as MadenetError).code).toBe(code);
  return err as MadenetError;
}

describe('weights import', () => {
  const tmp = useTempDir('madenet-weights-', 'test');
  beforeAll(async () => {
    await initRuntime({ backend: 'cpu' });
  });

  it('saves backbone/resnet18/v0001 whose conv weights are the file transposed to HWIO', async () => {
    // Given: a torchvision-named file saved from a DataParallel model ("module." prefix)
    const dict = resnet18Dict();
    const file = join(tmp.path, 'r18.safetensors');
    await writeFile(file, writeSafetensors(new Map([...dict].map(([k, v]) => [`module.${k}`, v]))));
    // When
    const result = await weightsImport({ file, arch: 'resnet18', out: join(tmp.path, 'art'), seed: 1 });
    // Then
    expect(result.artifact).toMatchObject({ kind: 'backbone', category: 'resnet18', version: 1 });
    expect(result.artifact.dir).toBe(join(tmp.path, 'art', 'backbone', 'resnet18', 'v0001'));
    expect(result.strippedPrefix).toBe('module.');
    expect(result.ignored.sort()).toEqual([...dict.keys()].filter((k) => k.startsWith('fc.') || k.endsWith('num_batches_tracked')).sort());
    expect(result.tensors).toBe(dict.size - result.ignored.length);
    const before = tf.memory().numTensors;
    const { backbone, arch, origin } = await loadBackbone(result.artifact.dir, { arch: 'resnet_tiny', seed: 0 });
    expect(arch).toBe('resnet18');
    expect(origin).toMatchObject({ kind: 'backbone', ref: { category: 'resnet18', version: 1 } });
    const torch = dict.get('layer3.1.conv2.weight')!; // [256,256,3,3]
    const ours = tf.tidy(() => backbone.getLayer('layer3.1.conv2').getWeights()[0]!.dataSync());
    for (const [o, i, y, x] of [[0, 0, 0, 0], [255, 3, 2, 1], [17, 200, 1, 1]] as const) {
      expect(ours[((y * 3 + x) * 256 + i) * 256 + o]).toBe(torch.data[((o * 256 + i) * 3 + y) * 3 + x]);
    }
    backbone.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('imports a PyTorch .pth state dict (torch.save zip, read by the restricted unpickler) exactly as the safetensors file', async () => {
    // Given the same ResNet-18 state dict as a .pth (num_batches_tracked as int64, as PyTorch saves it) and as safetensors,
    const dict = resnet18Dict();
    const pth = join(tmp.path, 'resnet18-f37072fd.pth');
    const tensors = new Map([...dict].map(([k, v]) => [k, { ...v, shape: [...v.shape], ...(k.endsWith('num_batches_tracked') ? { dtype: 'I64' as const } : {}) }]));
    await writeFile(pth, writePth(tensors, { archive: 'resnet18-f37072fd' }));
    const st = join(tmp.path, 'r18.safetensors');
    await writeFile(st, writeSafetensors(dict));
    // When both are imported,
    const a = await weightsImport({ file: pth, arch: 'resnet18', out: join(tmp.path, 'pth'), seed: 1 });
    const b = await weightsImport({ file: st, arch: 'resnet18', out: join(tmp.path, 'st'), seed: 1 });
    // Then the artifacts hold the same weights, and the .pth one records its format.
    expect(a.format).toBe('pytorch');
    expect(b.format).toBe('safetensors');
    expect([a.tensors, a.ignored.sort()]).toEqual([b.tensors, b.ignored.sort()]);
    const manifest = JSON.parse(await readFile(join(a.artifact.dir, 'manifest.json'), 'utf8'));
    expect(manifest.config).toMatchObject({ format: 'pytorch', file: 'resnet18-f37072fd.pth', sha256: a.sha256 });
    const before = tf.memory().numTensors;
    const fromPth = (await loadBackbone(a.artifact.dir, { arch: 'resnet_tiny', seed: 0 })).backbone;
    const fromSt = (await loadBackbone(b.artifact.dir, { arch: 'resnet_tiny', seed: 0 })).backbone;
    for (const layer of ['conv1', 'layer3.1.conv2', 'layer4.1.bn2']) {
      const [x, y] = tf.tidy(() => [fromPth, fromSt].map((m) => m.getLayer(layer).getWeights().map((w) => [...w.dataSync()])));
      expect([layer, x]).toEqual([layer, y]);
    }
    fromPth.dispose();
    fromSt.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a .pth whose pickle imports os.system with E_UNSAFE_PICKLE, and writes nothing', async () => {
    const pickle = new PickleBuilder().proto(2).global('os', 'system').mark().str('id').tuple().reduce().stop().bytes();
    const file = join(tmp.path, 'evil.pth');
    await writeFile(file, writeZip([['archive/data.pkl', pickle]]));
    const err = await expectError(weightsImport({ file, arch: 'resnet18', out: join(tmp.path, 'art'), seed: 1 }), 'E_UNSAFE_PICKLE');
    expect(err.message).toContain('os.system');
    await expect(readdir(join(tmp.path, 'art'))).rejects.toThrow();
  });

  it('refuses a file of another architecture, listing the differences, and writes nothing', async () => {
    const file = join(tmp.path, 'r18.safetensors');
    await writeFile(file, writeSafetensors(resnet18Dict()));
    const err = await expectError(weightsImport({ file, arch: 'resnet50', out: join(tmp.path, 'art'), seed: 1 }), 'E_WEIGHTS');
    expect(err.message).toMatch(/do not match resnet50: \d+ missing, \d+ mis-shaped, 0 unexpected/);
    expect(err.message).toMatch(/Missing \(\d+\): layer1\.0\.conv3\.weight/);
    await expect(readdir(join(tmp.path, 'art'))).rejects.toThrow();
  });

  it('names a missing file (E_NOT_FOUND) and an unknown arch (E_USAGE)', async () => {
    expect((await expectError(weightsImport({ file: join(tmp.path, 'nope.safetensors'), arch: 'resnet18', out: tmp.path, seed: 1 }), 'E_NOT_FOUND')).message).toContain('nope.safetensors');
    expect((await expectError(weightsImport({ file: 'x', arch: 'vgg16', out: tmp.path, seed: 1 }), 'E_USAGE')).message).toMatch(/expected one of resnet18, resnet50, wide_resnet50_2, efficientnet_b0/);
  });

  it('imports timm EfficientNet-B0 names, depthwise kernels included, leaving the classifier out', async () => {
    // Given: a state dict with timm's key names and PyTorch shapes (depthwise [C,1,k,k]) plus the classifier
    const probe = buildBackbone('efficientnet_b0', { seed: 0 });
    const dict: StateDict = new Map();
    let offset = 0;
    for (const plan of planTorchWeights(probe)) {
      const n = plan.torchShape.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: n }, (_, i) => (plan.torch.endsWith('running_var') ? 1 : ((offset + i) % 997) * 1e-4));
      offset += n;
      dict.set(plan.torch, { shape: plan.torchShape, data });
      if (plan.torch.endsWith('running_var')) dict.set(plan.torch.replace('running_var', 'num_batches_tracked'), { shape: [], data: Float32Array.of(3) });
    }
    probe.dispose();
    dict.set('classifier.weight', { shape: [1000, 1280], data: new Float32Array(1280 * 1000) });
    dict.set('classifier.bias', { shape: [1000], data: new Float32Array(1000) });
    const file = join(tmp.path, 'b0.safetensors');
    await writeFile(file, writeSafetensors(dict));
    // When
    const result = await weightsImport({ file, arch: 'efficientnet_b0', out: join(tmp.path, 'art'), seed: 1 });
    // Then: torch channel c of blocks.2.0.conv_dw [144,1,5,5] sits at ours [ky,kx,c,0]
    expect(result.source).toBe('timm');
    expect(result.ignored).toContain('classifier.weight');
    const { backbone } = await loadBackbone(result.artifact.dir, { arch: 'efficientnet_b0', seed: 0 });
    const torch = dict.get('blocks.2.0.conv_dw.weight')!;
    expect(torch.shape).toEqual([144, 1, 5, 5]);
    const ours = tf.tidy(() => backbone.getLayer('blocks.2.0.conv_dw').getWeights()[0]!.dataSync());
    for (const [c, y, x] of [[0, 0, 0], [143, 4, 2], [70, 1, 3]] as const) expect(ours[(y * 5 + x) * 144 + c]).toBe(torch.data[(c * 5 + y) * 5 + x]);
    backbone.dispose();
  });

  it('runs as `madenet weights import FILE --arch resnet18 --out ROOT --json`', async () => {
    const file = join(tmp.path, 'r18.safetensors');
    await writeFile(file, writeSafetensors(resnet18Dict()));
    let stdout = '';
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += chunk.toString();
      return true;
    });
    try {
      await WeightsImport.run([file, '--arch', 'resnet18', '--out', join(tmp.path, 'art'), '--backend', 'cpu', '--json'], root);
    } finally {
      spy.mockRestore();
    }
    const json = JSON.parse(stdout);
    expect(json).toMatchObject({ arch: 'resnet18', source: 'torchvision', artifact: { kind: 'backbone', version: 1 }, strippedPrefix: null });
    expect(json.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
