// Issue #20's surfaces used the wrong way (found by hand, each reproduced with a command first): repeated PatchCore
// layers, a feature cache that is a file or cannot take entries, a weights file passed as --backbone, a run stopped
// between ensemble members, and PyTorch 2.x .pth archives (built here byte by byte, since no torch 2 is installable).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeArtifact } from '../../src/pipeline/artifacts/index.js';
import { loadDetector } from '../../src/pipeline/detectors/registry.js';
import { patchcoreConfig } from '../../src/pipeline/submodels/patchcore/model/config.js';
import { FeatureCache } from '../../src/pipeline/features/feature-cache.js';
import { loadBackbone } from '../../src/pipeline/weights/backbone-source.js';
import { planClassifierBackbone } from '../../src/pipeline/train/classifier/classifier-backbone.js';
import { planSradBackbone } from '../../src/pipeline/submodels/srad/train/srad-backbone.js';
import { readTorchStateDict } from '../../src/pipeline/weights/torch-pth.js';
import { trainPatchcoreEnsemble } from '../../src/pipeline/services/train-patchcore-ensemble.js';
import { trainPatchcoreBank } from '../../src/pipeline/services/train-patchcore-bank.js';
import { inspectDataset } from '../../src/pipeline/services/dataset-inspect.js';
import { trainPatchcore } from '../../src/pipeline/services/train-patchcore.js';
import TrainPatchcore from '../../src/commands/train-patchcore.js';
import { runCommand } from '../helpers/run-command.js';
import { torch2Pth, type PthTensor } from '../pipeline/weights/torch-pth-writer.js';
import { makeTinyDataset } from '../helpers/tiny-dataset.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'madenet-hostile-20-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('PatchCore layers', () => {
  // Repro: train-patchcore --backbone npm:nsfwjs/mobilenet_v2 --layers block_5_add,block_5_add -> E_INTERNAL (avgPool got null)
  it('refuses a repeated patch layer with E_CONFIG naming the list', () => {
    expect(() => patchcoreConfig({ backbone: 'random', layers: ['layer2', 'layer2'], globalLayer: null })).toThrow(
      expect.objectContaining({ code: 'E_CONFIG', message: expect.stringMatching(/layers: \["layer2","layer2"\]; expected distinct layer names/) }),
    );
  });

  // Repro: ... --global-layer block_12_add --global-weight 0.5 (block_12_add is a default patch layer) -> E_INTERNAL
  it('refuses a global layer that is also a patch layer', () => {
    expect(() => patchcoreConfig({ backbone: 'random', layers: ['layer2', 'layer3'], globalLayer: 'layer3' })).toThrow(
      expect.objectContaining({ code: 'E_CONFIG', message: expect.stringMatching(/globalLayer: "layer3"; expected a layer other than the patch layers \(layer2, layer3\)/) }),
    );
  });
});

describe('feature cache', () => {
  // Repro: train-patchcore ... --feature-cache ./a-file -> E_INTERNAL "EEXIST: file already exists, mkdir"
  it('a --feature-cache that is a file is E_NOT_A_DIRECTORY naming it', async () => {
    const file = join(dir, 'not-a-folder');
    await writeFile(file, 'x');
    await expect(FeatureCache.open(file, 1 << 20)).rejects.toMatchObject({ code: 'E_NOT_A_DIRECTORY', message: expect.stringContaining(`--feature-cache ${file} is not a folder`) });
  });

  // Repro: ... --feature-cache /proc/nope never returned (Node's recursive mkdir loops on ENOENT under /proc).
  (process.platform === 'linux' ? it : it.skip)('a folder that cannot be created fails at once instead of hanging', async () => {
    await expect(FeatureCache.open('/proc/self/madenet-feature-cache', 1 << 20)).rejects.toMatchObject({ code: 'E_NOT_A_DIRECTORY' });
  });

  it('a cache folder that stops taking entries costs the caching, not the run: put records why and later puts skip', async () => {
    const folder = join(dir, 'cache-gone');
    const cache = await FeatureCache.open(folder, 1 << 20);
    const key = cache.key('a'.repeat(64), 'x');
    await cache.put(key, [Float32Array.of(1, 2)]);
    expect(await cache.get(key)).toEqual([Float32Array.of(1, 2)]);
    // The folder is replaced by a file (as a read-only or full disk refuses writes; root ignores permissions).
    await rm(folder, { recursive: true });
    await writeFile(folder, 'x');
    await expect(cache.put(cache.key('b'.repeat(64), 'x'), [Float32Array.of(3)])).resolves.toBeUndefined();
    expect(cache.stats.writeError).toMatch(/^ENOTDIR writing /);
    expect(cache.writeWarning()).toMatch(/features were computed but not cached/);
    await expect(cache.put(cache.key('c'.repeat(64), 'x'), [Float32Array.of(4)])).resolves.toBeUndefined();
    expect(cache.stats.writes).toBe(1);
  });
});

describe('--backbone given a weights file', () => {
  // Repro: train-sfad --backbone resnet18.pth -> E_NOT_FOUND "No artifact at resnet18.pth; expected a vNNNN directory..."
  it('says to import it first, with the command', async () => {
    const pth = join(dir, 'my weights.pth');
    await writeFile(pth, 'PK');
    await expect(loadBackbone(pth, { arch: 'resnet18', seed: 0 })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringContaining(`--backbone ${pth} is a file`),
      suggestions: [expect.stringContaining(`madenet weights import ${JSON.stringify(pth)} --arch resnet18 --out ROOT`)],
    });
    await expect(loadBackbone(join(dir, 'missing.safetensors'), { arch: 'resnet18', seed: 0 })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('does not exist') });
  });

  // Repro: train-classifier --backbone w.pth and train-srad --backbone w.pth -> the same "No artifact at" E_NOT_FOUND
  it('train-classifier and train-srad name the architecture family they take', async () => {
    const pth = join(dir, 'b0.pth');
    await writeFile(pth, 'PK');
    await expect(planClassifierBackbone(pth)).rejects.toMatchObject({ code: 'E_USAGE', suggestions: [expect.stringContaining('--arch efficientnet_b0')] });
    await expect(planSradBackbone(pth)).rejects.toMatchObject({ code: 'E_USAGE', suggestions: [expect.stringContaining('--arch hrnet_w18')] });
  });
});

describe('PyTorch 2.x .pth layout', () => {
  // Twelve parameters, so that storage keys 10 and 11 sort before 2 as text but after it as numbers, and an empty one.
  const tensors = new Map<string, PthTensor>(Array.from({ length: 12 }, (_, i) => [`layer${i}.weight`, { shape: [2, 3], data: Float32Array.from({ length: 6 }, (_, j) => i * 10 + j - 0.5) }]));
  tensors.set('empty.bias', { shape: [0], data: new Float32Array(0) });

  it('reads the archive torch 2.x writes: extra records, numeric storage order, data descriptors, 64-byte alignment', async () => {
    const buf = torch2Pth(tensors);
    // The layout is what it claims: every record's data starts on a 64-byte boundary.
    const file = join(dir, 'torch2.pth');
    await writeFile(file, buf);
    const got = await readTorchStateDict(file);
    expect([...got.keys()]).toEqual([...tensors.keys()]);
    for (const [name, t] of tensors) {
      expect(got.get(name)?.shape).toEqual(t.shape);
      expect(Array.from(got.get(name)?.data ?? [])).toEqual(Array.from(t.data));
    }
    const raw = await readFile(file);
    let aligned = 0;
    for (let p = raw.indexOf(Buffer.from('PK\x03\x04', 'latin1')); p >= 0; p = raw.indexOf(Buffer.from('PK\x03\x04', 'latin1'), p + 4)) {
      const dataAt = p + 30 + raw.readUInt16LE(p + 26) + raw.readUInt16LE(p + 28);
      expect(dataAt % 64).toBe(0);
      aligned++;
    }
    expect(aligned).toBe(4 + 13 + 2);
  });

  it('refuses a big-endian archive (byteorder "big") with E_WEIGHTS saying so', async () => {
    const file = join(dir, 'torch2-big.pth');
    await writeFile(file, torch2Pth(tensors, 'big'));
    await expect(readTorchStateDict(file)).rejects.toMatchObject({ code: 'E_WEIGHTS', message: expect.stringMatching(/byte order "big"; only little-endian files are read/) });
  });
});

describe('PatchCore ensemble stopped between members', () => {
  // Repro: train-patchcore (default A+B) into a folder with an earlier model, SIGINT after the first member is
  // written -> LATEST named the lone member (InceptionV3 or MobileNetV2), which build-perfmap --model ROOT/patchcore/C took.
  it('leaves LATEST on the earlier artifact', async () => {
    const data = join(dir, 'data');
    await makeTinyDataset(data, { size: 32, normals: 8, testNormals: 2, defects: 2 });
    const out = join(dir, 'out');
    const common = { data, category: 'widget', out, seed: 1, backend: 'wasm' as const, threads: 1, imageSize: 32, coresetRatio: 0.25 };
    const first = await trainPatchcoreBank({ ...common, backbone: 'random', layers: ['layer1', 'layer2'], globalLayer: null });
    expect(first.artifact.version).toBe(1);
    // The second member fails after the first member's artifact is written (as a Ctrl-C there would): its backbone
    // artifact is only found missing when it loads.
    const run = trainPatchcoreEnsemble({
      ...common,
      members: [
        { backbone: 'random', layers: ['layer1', 'layer2'], globalLayer: null, positionWeight: 0 },
        { backbone: join(dir, 'no-such-backbone-artifact'), layers: ['layer2'], globalLayer: null },
      ],
    });
    await expect(run).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    const folder = join(out, 'patchcore', 'widget');
    expect((await readdir(folder)).filter((e) => /^v\d+$/.test(e)).sort()).toEqual(['v0001', 'v0002']);
    expect((await readFile(join(folder, 'LATEST'), 'utf8')).trim()).toBe('v0001');

    // Repro: --backbone A+B --layers block_5_add+mixed99 trained member A for minutes, then failed on B's layer.
    // Now every member's layers are checked before any builds: nothing is written.
    const early = trainPatchcoreEnsemble({
      ...common,
      out: join(dir, 'out-early'),
      members: [
        { backbone: 'random', layers: ['layer1', 'layer2'], globalLayer: null },
        { backbone: 'random', layers: ['layer9'], globalLayer: null },
      ],
    });
    await expect(early).rejects.toMatchObject({ code: 'E_CONFIG', message: expect.stringContaining('layer9') });
    expect(await readdir(join(dir, 'out-early')).catch(() => [])).toEqual([]);
  }, 240_000);
});

describe('--json after a command that does not exist', () => {
  // Repro: madenet weights list extra --json (or trian-srad --json) -> exit 2 with an empty stdout, no JSON document.
  it('still prints one JSON error document on stdout, exit 2', async () => {
    const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string }>((done) => {
        execFile(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, MADENET_NO_PROGRESS: '1' } }, (error, stdout) => {
          done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout });
        });
      });
    const r = await run(['weights', 'list', 'extra', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 'E_USAGE', message: '`weights list extra` is not a madenet command.', suggestions: ['Did you mean `madenet weights list`?', 'Run `madenet help` for the list of commands.'], exit: 2 },
    });
    const plain = await run(['trian-srad']);
    expect(plain.code).toBe(2);
    expect(plain.stdout).toBe('');
  }, 60_000);
});

describe('a PatchCore ensemble version copied without its members', () => {
  // Repro: cp -r out/patchcore/C/v0004 moved/ && evaluate --model moved/v0004 -> E_NOT_FOUND "No artifact at moved/v0001"
  it('is E_ARTIFACT naming the ensemble and the missing member', async () => {
    const root = join(dir, 'lone-ensemble');
    const ref = await writeArtifact({ root, kind: 'patchcore', category: 'widget', seed: 0, config: { ensemble: { members: [{ dir: '../v0007', scoreMean: 0, scoreStd: 1, mapScale: 1 }] } } });
    await expect(loadDetector(ref.dir)).rejects.toMatchObject({
      code: 'E_ARTIFACT',
      message: expect.stringContaining(`PatchCore ensemble ${ref.dir} needs its member ../v0007`),
    });
  });
});

describe('train-patchcore per-member values', () => {
  // Repro: --position-weight 1+ -> "--position-weight is ; expected a number." (the offending value lost);
  // --layers block_5_add,block_12_add+ -> E_CONFIG "layers: []" after the first member had trained.
  it('an empty member value, or a "+" list for one backbone, is E_USAGE naming the whole value', async () => {
    const base = ['--data', join(dir, 'nowhere'), '--category', 'widget', '--out', join(dir, 'pm'), '--json'];
    const cases: [string[], string][] = [
      [['--backbone', 'random+random', '--position-weight', '1+'], "--position-weight is '1+': value 2 of 2 is empty"],
      [['--backbone', 'random+random', '--layers', 'layer1,layer2+'], "--layers is 'layer1,layer2+': value 2 of 2 is empty"],
      [['--backbone', 'random+random', '--layers', 'layer1,layer2+,'], "--layers is 'layer1,layer2+,': value 2 of 2 is empty"],
      [['--backbone', 'random', '--position-weight', '1+2'], "--position-weight is '1+2' for one backbone; expected one value"],
    ];
    for (const [args, message] of cases) {
      const r = await runCommand(TrainPatchcore, [...base, ...args]);
      expect(r.exitCode).toBe(2);
      expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'E_USAGE', message: expect.stringContaining(message) } });
    }
  });
});

describe('train-patchcore with a category that cannot name a folder', () => {
  // Repro: a manifest with category "a/b": train-patchcore --category a/b computed every feature and validated, then
  // failed with E_ARTIFACT when saving. Now it fails before reading anything (the data path here does not exist).
  it('is E_ARTIFACT before any work', async () => {
    await expect(trainPatchcore({ data: join(dir, 'no-such-data.csv'), category: 'a/b', out: join(dir, 'cat-out'), backbone: 'random' })).rejects.toMatchObject({
      code: 'E_ARTIFACT',
      message: expect.stringContaining('category "a/b" is not usable as a directory name'),
    });
  });

  // Repro: dataset inspect of a folder category "my part" (or a manifest category "a/b") said "No problems found".
  it('dataset inspect warns about it', async () => {
    const data = join(dir, 'spaced');
    await makeTinyDataset(data, { categories: ['my part', 'ok'], size: 16, normals: 2, testNormals: 1, defects: 1 });
    const r = await inspectDataset({ root: data });
    expect(r.problems.filter((p) => p.code === 'E_CATEGORY')).toEqual([
      expect.objectContaining({ severity: 'warning', category: 'my part', message: expect.stringContaining('category "my part" is not usable as a directory name') }),
    ]);
  });
});
