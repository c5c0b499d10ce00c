import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import Finetune from '../../../src/commands/finetune.js';
import { loadArtifact, loadLatestCheckpoint, writeArtifact } from '../../../src/pipeline/artifacts/index.js';
import { loadClassifier } from '../../../src/pipeline/detectors/classifier.js';
import { writePng } from '../../../src/pipeline/io/decode.js';
import { createImage, createMask, type RgbImage } from '../../../src/pipeline/io/image.js';
import { Rng } from '../../../src/pipeline/core/random.js';
import { finetuneModel, isClassifierFinetune } from '../../../src/pipeline/services/finetune.js';
import { finetuneClassifier, type ClassifierFinetuneOptions, type ClassifierFinetuneResult } from '../../../src/pipeline/services/finetune-classifier.js';
import { trainClassifier } from '../../../src/pipeline/services/train-classifier.js';
import { runCommand, runJson } from '../../helpers/run-command.js';
import { failure, interruptAndResume } from '../../helpers/training-run.js';
import { useTempDir } from '../../helpers/temp-dir.js';
import { useBackend } from '../../helpers/backends.js';

const SIZE = 32;
/** Background colour of each category's normal images: the cue a classifier trained on normals learns. */
const COLOURS: Record<string, [number, number, number]> = { alpha: [0.2, 0.3, 0.8], beta: [0.8, 0.3, 0.2] };
/** Each category's defects: a grey board (no colour cue at all) with a white (alpha) or black (beta) part. */
const DEFECT_PART: Record<string, number> = { alpha: 0.95, beta: 0.05 };

function picture(category: string, defect: boolean, rng: Rng): RgbImage {
  const img = createImage(SIZE, SIZE);
  const lo = SIZE / 4;
  const hi = SIZE - lo;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const body = x >= lo && x < hi && y >= lo && y < hi;
      const part = DEFECT_PART[category]!;
      const rgb = defect ? (body ? [part, part, part] : [0.5, 0.5, 0.5]) : body ? [0.1, 0.1, 0.1] : COLOURS[category]!;
      for (let c = 0; c < 3; c++) img.data[(y * SIZE + x) * 3 + c] = Math.min(1, Math.max(0, rgb[c]! + (rng.next() - 0.5) * 0.1));
    }
  }
  return img;
}

/**
 * Two categories told apart by their background colour; their defects look nothing like them (grey, with a white or
 * black part), so a classifier trained on normals alone has no cue for them, and one fine-tuned on them has an easy one.
 */
async function writeData(root: string, defects: number, seed: number): Promise<void> {
  for (const category of Object.keys(COLOURS)) {
    const rng = new Rng(seed + category.length);
    const name = (i: number): string => String(i).padStart(3, '0');
    for (let i = 0; i < 10; i++) await writePng(join(root, category, 'train', 'good', `${name(i)}.png`), picture(category, false, rng));
    await writePng(join(root, category, 'test', 'good', '000.png'), picture(category, false, rng));
    const mask = createMask(SIZE, SIZE);
    mask.data.fill(1);
    for (let i = 0; i < defects; i++) {
      await writePng(join(root, category, 'train', 'grey', `train_${name(i)}.png`), picture(category, true, rng));
      await writePng(join(root, category, 'ground_truth', 'grey', `train_${name(i)}_mask.png`), mask);
    }
  }
}

describe('finetune of the pre-classifier (tiny preset, 32 px, wasm)', () => {
  const tmp = useTempDir('madenet-finetune-classifier-');
  let normalsOnly: string;
  let data: string;
  let parent: string;
  let result: ClassifierFinetuneResult;
  let leaked: number;
  const base = (): ClassifierFinetuneOptions => ({ model: parent, data, backend: 'wasm', threads: 1, checkpointEvery: 0 });

  useBackend('wasm');
  beforeAll(async () => {
    normalsOnly = join(tmp.path, 'normals');
    data = join(tmp.path, 'data');
    // The same normals in both; only `data` has defective train images.
    await writeData(normalsOnly, 0, 1);
    await writeData(data, 8, 1);
    const trained = await trainClassifier({ data: normalsOnly, out: join(tmp.path, 'art'), preset: 'tiny', epochs: 12, batchSize: 4, lr: 5e-3, seed: 7, backend: 'wasm', threads: 1, checkpointEvery: 0 });
    parent = trained.artifact.dir;
    const tensors = tf.memory().numTensors;
    const r = await finetuneModel({ ...base(), epochs: 5, batchSize: 4, lr: 5e-3 });
    leaked = tf.memory().numTensors - tensors;
    if (!isClassifierFinetune(r)) throw new Error(`expected a classifier result, got ${r.kind}`);
    result = r;
  });

  it('continues from the parent: a new version beside it, the parent in the manifest, before/after metrics', async () => {
    expect(leaked).toBe(0);
    expect(result.kind).toBe('classifier');
    expect(result.artifact.dir).toBe(join(tmp.path, 'art', 'classifier', 'all', 'v0002'));
    expect(result.parent).toEqual({ kind: 'classifier', category: 'all', version: 1, dir: parent });
    expect(result.categories).toEqual(['alpha', 'beta']);
    // 18 train images per category, 4 held out of each (val fraction 0.2, the parent's).
    expect(result.data.trainNormals + result.data.trainDefects).toBe(28);
    expect(result.data.validationNormals + result.data.validationDefects).toBe(8);
    expect(result.data.trainDefects).toBeGreaterThan(0);
    expect(result.data.validationDefects).toBeGreaterThan(0);
    expect(result.settings).toMatchObject({ epochs: 5, batchSize: 4, lr: 5e-3, valFraction: 0.2, seed: 7, defectShare: 0.5, minConfidence: 0.85 });
    expect(result.steps).toBe(5 * 7);
    expect(result.epochs).toHaveLength(5);
    for (const m of [result.metrics.before, result.metrics.after]) {
      expect(m.images).toBe(8);
      expect(m.defects.images).toBe(result.data.validationDefects);
      expect(m.defects.meanConfidence).not.toBeNull();
      expect(m.defects.belowThreshold).not.toBeNull();
      expect(m.normals.belowThreshold).not.toBeNull();
    }
    expect(result.metrics.delta.defectMeanConfidence).toBeCloseTo(result.metrics.after.defects.meanConfidence! - result.metrics.before.defects.meanConfidence!, 10);

    const artifact = await loadArtifact(result.artifact.dir);
    const parentArtifact = await loadArtifact(parent);
    expect(artifact.manifest.kind).toBe('classifier');
    expect(artifact.manifest.parents).toEqual([{ kind: 'classifier', category: 'all', version: 1 }]);
    const metrics = artifact.manifest.metrics as { before: unknown; after: unknown };
    expect(metrics.before).toEqual(result.metrics.before);
    expect(metrics.after).toEqual(result.metrics.after);
    const config = artifact.manifest.config as { model: unknown; categories: unknown; finetune: { parent: { version: number } }; parentConfig: unknown };
    expect(config.model).toEqual((parentArtifact.manifest.config as { model: unknown }).model);
    expect(config.categories).toEqual(['alpha', 'beta']);
    expect(config.finetune.parent.version).toBe(1);
    expect(config.parentConfig).toEqual(parentArtifact.manifest.config);
    expect(Object.keys(artifact.manifest.files).sort()).toEqual(Object.keys(parentArtifact.manifest.files).sort());
    expect(Buffer.compare(await artifact.readFile('weights.bin'), await parentArtifact.readFile('weights.bin'))).not.toBe(0);

    // infer's loader runs it.
    const c = await loadClassifier(join(tmp.path, 'art', 'classifier', 'all'));
    expect(c.categories).toEqual(['alpha', 'beta']);
    const probs = tf.tidy(() => c.predict(tf.fill([1, SIZE, SIZE, 3], 0.5) as tf.Tensor4D));
    expect(probs.shape).toEqual([1, 2]);
    probs.dispose();
    c.dispose();
  });

  it('raises the confidence in the right category on held-out defects that look like nothing the parent saw', () => {
    const { before, after } = result.metrics;
    // The parent has no cue for the grey defects: it does not route them to their category.
    expect(before.defects.meanTrueProbability!).toBeLessThan(0.5);
    expect(before.defects.confidentRight!).toBeLessThan(0.5);
    // After fine-tuning, they are routed to their category with confidence above the routing threshold.
    expect(after.defects.meanTrueProbability! - before.defects.meanTrueProbability!).toBeGreaterThan(0.4);
    expect(after.defects.accuracy).toBe(1);
    expect(after.defects.meanConfidence!).toBeGreaterThan(0.85);
    expect(after.defects.confidentRight).toBe(1);
    // Normals stay right.
    expect(after.normals.accuracy).toBe(1);
  });

  it('resumes from a checkpoint and ends exactly where an uninterrupted run ends', async () => {
    const { straight, resumed } = await interruptAndResume(finetuneClassifier, { ...base(), epochs: 2, batchSize: 4, checkpointEvery: 1 }, tmp.path, 3);
    expect(resumed.resumedFrom?.step).toBe(3);
    expect(resumed.metrics.after).toEqual(straight.metrics.after);
    const a = await loadArtifact(straight.artifact.dir);
    const b = await loadArtifact(resumed.artifact.dir);
    expect(Buffer.compare(await a.readFile('weights.bin'), await b.readFile('weights.bin'))).toBe(0);
    expect(straight.checkpoints).toBe(join(tmp.path, 'straight', 'checkpoints', 'finetune-classifier', 'all'));
    expect(await loadLatestCheckpoint(join(tmp.path, 'straight'), 'finetune-classifier', 'all')).not.toBeNull();
  });

  it('refuses data without defective train images with E_NO_DEFECTS, before any training', async () => {
    const err = await failure(finetuneModel({ ...base(), data: normalsOnly, out: join(tmp.path, 'none') }));
    expect(err.code).toBe('E_NO_DEFECTS');
    expect(err.message).toContain('alpha, beta');
    await expect(readdir(join(tmp.path, 'none'))).rejects.toThrow();
  });

  it('refuses the submodels\' options for a classifier, and the classifier\'s for a submodel', async () => {
    const r = await failure(finetuneModel({ ...base(), realRatio: 0.5, textures: '/x' }));
    expect(r.code).toBe('E_USAGE');
    expect(r.message).toContain('--real-ratio, --textures');
    expect((await failure(finetuneModel({ ...base(), lr: -1 }))).code).toBe('E_USAGE');
    expect((await failure(finetuneModel({ ...base(), defectShare: 2 }))).code).toBe('E_USAGE');
    const srad = await writeArtifact({ root: join(tmp.path, 'fake'), kind: 'srad', category: 'alpha', config: {}, seed: 0 });
    const s = await failure(finetuneModel({ model: srad.dir, data, defectShare: 0.5 }));
    expect(s.code).toBe('E_USAGE');
    expect(s.message).toContain('defectShare');
  });

  it('madenet finetune prints the classifier\'s result as JSON with its kind, and refuses an explicit --real-ratio', async () => {
    const common = ['--model', parent, '--data', data, '--backend', 'wasm', '--threads', '1', '--checkpoint-every', '0', '--epochs', '1', '--out', join(tmp.path, 'cmd')];
    const json = await runJson(Finetune, common);
    expect(json).toMatchObject({ kind: 'classifier', category: 'all', categories: ['alpha', 'beta'], parent: { kind: 'classifier', version: 1 }, artifact: { version: 1 } });
    // Defaults: a tenth of the parent's rate, its batch size, split and seed.
    expect((json.settings as { lr: number }).lr).toBeCloseTo(5e-4, 12);
    expect(json.settings).toMatchObject({ epochs: 1, batchSize: 4, valFraction: 0.2, seed: 7, defectShare: 0.5, labelSmoothing: 0.02, minConfidence: 0.85 });
    expect(Object.keys(json.metrics as object).sort()).toEqual(['after', 'before', 'delta']);
    const human = await runCommand(Finetune, common);
    expect(human.stdout).toContain('Fine-tuned the pre-classifier v1 (alpha, beta)');
    expect(human.stdout).toMatch(/before {2}accuracy \d\.\d{4} {2}defects: mean confidence \d\.\d{4}, \d+\.\d% under 0\.85/);
    const bad = await runCommand(Finetune, [...common, '--real-ratio', '0.5', '--json']);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { code: 'E_USAGE', message: expect.stringContaining('--real-ratio') } });
  });
});
