// Routing accuracy of pre-classifier options on the shared real categories: each option is trained by
// train-classifier on the categories' train images only (its own seeded hold-out validates it), then every test
// image is classified as infer does it, and the report counts how many would be routed to their own category
// (confident), to the fallback (top-1 confidence under infer's 0.85) or to a wrong category (confident and wrong,
// the error the fallback cannot catch). Writes classifier-options.{md,json} into --results.
//
//   node --import tsx bench/real/classifier-options.ts --categories metal_plate,hazelnut,mvtec_ad_reduced_transistor \
//     --option 'tiny64=tiny,64,40,random,3e-3' --option 'mnv2=small,128,8,npm:nsfwjs/mobilenet_v2,3e-4'
import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { tmpdir } from 'node:os';
import type { ClassifierPresetName } from '../../src/models/classifier/config.js';
import { loadClassifier } from '../../src/pipeline/detectors/classifier.js';
import { DEFAULT_MIN_CONFIDENCE } from '../../src/pipeline/infer/route.js';
import { batches } from '../../src/pipeline/io/batch.js';
import { loadDataset } from '../../src/pipeline/io/dataset.js';
import { streamSamples } from '../../src/pipeline/io/sample-stream.js';
import { trainClassifier } from '../../src/pipeline/services/train-classifier.js';
import { imagesToTensor } from '../../src/pipeline/train/tensors.js';
import { startRuntime } from '../../src/pipeline/train/train-run.js';
import { discoverCategories } from './discover.js';
import { readCategories, writeManifest } from './manifest.js';
import { PROJECT_ROOT } from './options.js';

interface OptionSpec {
  name: string;
  /** A classifier artifact trained earlier (`name=artifact:DIR`): scored, not trained; its settings come from its manifest. */
  artifact?: string;
  preset: ClassifierPresetName;
  imageSize: number;
  epochs: number;
  backbone: string;
  lr: number;
}

interface OptionResult extends OptionSpec {
  trainSeconds: number;
  validationAccuracy: number | null;
  test: { images: number; correct: number; confidentCorrect: number; fallback: number; confidentWrong: number };
  /** Per true category: images, top-1 correct, sent to the fallback, confidently to another category. */
  perCategory: Record<string, { images: number; correct: number; fallback: number; confidentWrong: number; minConfidence: number }>;
  /** Every test image: true and predicted category with the top-1 confidence. */
  images: { path: string; category: string; predicted: string; confidence: number }[];
}

function parseOption(text: string): OptionSpec {
  const eq = text.indexOf('=');
  if (text.slice(eq + 1).startsWith('artifact:')) {
    return { name: text.slice(0, eq), artifact: resolve(text.slice(eq + 1 + 'artifact:'.length)), preset: 'tiny', imageSize: 0, epochs: 0, backbone: '', lr: 0 };
  }
  const [preset, size, epochs, backbone, lr] = text.slice(eq + 1).split(',');
  if (eq < 1 || !preset || !size || !epochs || !backbone || !lr) throw new Error(`--option ${text}; expected name=preset,size,epochs,backbone,lr`);
  return { name: text.slice(0, eq), preset: preset as ClassifierPresetName, imageSize: Number(size), epochs: Number(epochs), backbone, lr: Number(lr) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: join(PROJECT_ROOT, '..', 'shared', 'data') },
      categories: { type: 'string', default: 'metal_plate,hazelnut,mvtec_ad_reduced_transistor' },
      option: { type: 'string', multiple: true },
      out: { type: 'string', default: join(tmpdir(), 'madenet-classifier-options') },
      results: { type: 'string' },
      seed: { type: 'string', default: '42' },
      'batch-size': { type: 'string', default: '16' },
    },
  });
  const names = (values.categories ?? '').split(',').filter(Boolean);
  const found = (await discoverCategories(resolve(values.data ?? ''))).filter((c) => names.includes(c.name));
  if (found.length !== names.length) throw new Error(`categories ${names.join(', ')}: found only ${found.map((c) => c.name).join(', ')}`);
  const out = resolve(values.out ?? '', new Date().toISOString().replace(/[:.]/g, '-'));
  const manifest = join(out, 'manifest.jsonl');
  await writeManifest(await readCategories(found), names, manifest);
  const dataset = await loadDataset(manifest);
  const tests = dataset.samples.filter((s) => s.split === 'test');
  const seed = Number(values.seed);
  const results: OptionResult[] = [];
  for (const spec of (values.option ?? []).map(parseOption)) {
    const trained = spec.artifact ? await scoreOnly(spec) : await train(spec, { manifest, out, names, seed, batchSize: Number(values['batch-size']) });
    const classifier = await loadClassifier(trained.artifact.dir);
    const images: OptionResult['images'] = [];
    let i = 0;
    for await (const batch of batches(streamSamples(tests, { size: classifier.imageSize }), 8)) {
      const probs = tf.tidy(() => classifier.predict(imagesToTensor(batch.map((d) => d.image))) as tf.Tensor2D);
      const rows = (await probs.array()) as number[][];
      probs.dispose();
      for (const row of rows) {
        const s = tests[i++];
        if (!s) throw new Error('more predictions than test images');
        const top = row.indexOf(Math.max(...row));
        images.push({ path: s.path, category: s.category, predicted: classifier.categories[top] as string, confidence: row[top] as number });
      }
    }
    classifier.dispose();
    const perCategory: OptionResult['perCategory'] = {};
    const test = { images: images.length, correct: 0, confidentCorrect: 0, fallback: 0, confidentWrong: 0 };
    for (const im of images) {
      const c = (perCategory[im.category] ??= { images: 0, correct: 0, fallback: 0, confidentWrong: 0, minConfidence: 1 });
      const ok = im.predicted === im.category;
      const confident = im.confidence >= DEFAULT_MIN_CONFIDENCE;
      c.images++;
      c.minConfidence = Math.min(c.minConfidence, im.confidence);
      if (ok) (c.correct++, test.correct++);
      if (!confident) (c.fallback++, test.fallback++);
      else if (ok) test.confidentCorrect++;
      else (c.confidentWrong++, test.confidentWrong++);
    }
    results.push({ ...spec, ...trained.spec, trainSeconds: trained.seconds, validationAccuracy: trained.metrics.accuracy ?? null, test, perCategory, images });
    process.stderr.write(
      `[classifier-options] ${spec.name}: ${trained.seconds.toFixed(0)} s, validation accuracy ${trained.metrics.accuracy}, test top-1 ${test.correct}/${test.images}, confident+correct ${test.confidentCorrect}, fallback ${test.fallback}, confident+wrong ${test.confidentWrong}\n`,
    );
  }
  const dir = values.results ? resolve(values.results) : out;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'classifier-options.json'), `${JSON.stringify({ categories: names, seed, minConfidence: DEFAULT_MIN_CONFIDENCE, results }, null, 2)}\n`);
  await writeFile(join(dir, 'classifier-options.md'), render(names, results));
  process.stderr.write(`[classifier-options] wrote ${join(dir, 'classifier-options.md')}\n`);
}

interface Trained {
  artifact: { dir: string };
  /** NaN where the artifact was trained earlier and its seconds are not recorded. */
  seconds: number;
  metrics: { accuracy: number | null };
  /** The settings read back from an artifact's manifest. */
  spec?: Partial<OptionSpec>;
}

async function train(spec: OptionSpec, o: { manifest: string; out: string; names: string[]; seed: number; batchSize: number }): Promise<Trained> {
  process.stderr.write(`[classifier-options] ${spec.name}: ${spec.preset} ${spec.imageSize} px, ${spec.epochs} epochs, ${spec.backbone}, lr ${spec.lr}\n`);
  return trainClassifier({
    data: o.manifest,
    out: join(o.out, spec.name),
    categories: o.names,
    preset: spec.preset,
    imageSize: spec.imageSize,
    epochs: spec.epochs,
    batchSize: o.batchSize,
    lr: spec.lr,
    seed: o.seed,
    checkpointEvery: 0,
    backend: 'wasm',
    threads: 1,
    backbone: spec.backbone,
  });
}

async function scoreOnly(spec: OptionSpec): Promise<Trained> {
  await startRuntime({ backend: 'wasm', threads: 1 });
  const dir = spec.artifact as string;
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
    config: { model: { preset: ClassifierPresetName; imageSize: number }; training: { epochs: number; backbone?: string; schedule?: { baseLr?: number } } };
    metrics: { validation: { accuracy: number | null } };
  };
  process.stderr.write(`[classifier-options] ${spec.name}: scoring ${dir}\n`);
  const t = m.config.training;
  return {
    artifact: { dir },
    seconds: Number.NaN,
    metrics: { accuracy: m.metrics.validation.accuracy },
    spec: { preset: m.config.model.preset, imageSize: m.config.model.imageSize, epochs: t.epochs, backbone: t.backbone ?? 'random', lr: t.schedule?.baseLr ?? Number.NaN },
  };
}

function render(names: string[], results: OptionResult[]): string {
  const head = `| option | preset, px, epochs, body, lr | train s | val acc | test top-1 | confident + right | to fallback (< ${DEFAULT_MIN_CONFIDENCE}) | confident + wrong | ${names.map((n) => `${n} right / fallback / wrong, min conf`).join(' | ')} |`;
  const lines = [
    '# Pre-classifier options: routing accuracy on the test images',
    '',
    `Trained on the train images of ${names.join(', ')} (train-classifier's own hold-out validates), then every test image classified (wasm, 1 thread).`,
    '',
    head,
    `|${'---|'.repeat(8 + names.length)}`,
    ...results.map((r) => {
      const per = names.map((n) => {
        const c = r.perCategory[n];
        return c ? `${c.correct}/${c.images} / ${c.fallback} / ${c.confidentWrong}, ${c.minConfidence.toFixed(2)}` : 'n/a';
      });
      return `| ${r.name} | ${r.preset}, ${r.imageSize}, ${r.epochs}, ${r.backbone}, ${r.lr} | ${Number.isFinite(r.trainSeconds) ? r.trainSeconds.toFixed(0) : 'n/a'} | ${r.validationAccuracy?.toFixed(3) ?? 'n/a'} | ${r.test.correct}/${r.test.images} | ${r.test.confidentCorrect} | ${r.test.fallback} | ${r.test.confidentWrong} | ${per.join(' | ')} |`;
    }),
    '',
  ];
  return lines.join('\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`classifier-options failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
