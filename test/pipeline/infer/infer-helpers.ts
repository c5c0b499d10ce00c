// Shared setup of the infer tests: a two-category tiny dataset, mean-diff submodels, perfmaps with a sure,
// an unsure and no classifier, and small readers for the output directory.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildPerfmap } from '../../../src/pipeline/services/build-perfmap.js';
import { infer, type InferOptions } from '../../../src/pipeline/services/infer.js';
import { useBackend } from '../../helpers/backends.js';
import type { TempDir } from '../../helpers/temp-dir.js';
import { makeTinyDataset } from '../../helpers/tiny-dataset.js';
import { loadTestClassifier, loadTestDetector, writeTestClassifier, writeTestDetector } from './fixtures.js';

export const SIZE = 32;

export interface InferWorld {
  data: string;
  art: string;
  /** Classifier sure of itself (confidence ~1). */
  sure: string;
  /** Classifier that cannot tell the categories apart (confidence ~0.5). */
  unsure: string;
  /** Classifier whose second class ("zeta") is not in the map; beta images are classified as it. */
  stranger: string;
  /** No classifier. */
  none: string;
  /** Test images, sorted. */
  glob: string;
  images: number;
}

export async function makeInferWorld(dir: string): Promise<InferWorld> {
  const data = join(dir, 'data');
  await makeTinyDataset(data, { categories: ['alpha', 'beta'], size: SIZE, normals: 6, testNormals: 4, defects: 3 });
  const art = join(dir, 'artifacts');
  const models: string[] = [];
  for (const c of ['alpha', 'beta']) {
    models.push((await writeTestDetector(art, 'srad', c, { data, size: SIZE, mode: 'diff' })).dir);
    models.push((await writeTestDetector(art, 'sfad', c, { data, size: SIZE, mode: 'flat' })).dir);
  }
  const common = { data, models, lambda: 0.5, seed: 3, out: art, backend: 'cpu' as const, threads: 1, loadDetector: loadTestDetector, loadClassifier: loadTestClassifier };
  const build = async (classifier?: string): Promise<string> => (await buildPerfmap({ ...common, ...(classifier ? { classifier } : {}) })).artifact.dir;
  const cls = (temperature: number, means: Record<string, string>): Promise<string> =>
    writeTestClassifier(art, { data, size: 16, temperature, means }).then((r) => r.dir);
  const sure = await build(await cls(1e-4, { alpha: 'alpha', beta: 'beta' }));
  const unsure = await build(await cls(10, { alpha: 'alpha', beta: 'beta' }));
  const stranger = await build(await cls(1e-4, { alpha: 'alpha', zeta: 'beta' }));
  const none = await build();
  return { data, art, sure, unsure, stranger, none, glob: join(data, '*', 'test', '*', '*.png'), images: 2 * (4 + 3) };
}

/** The cpu runtime and makeInferWorld in <tmp>/<sub> before a block's tests; the returned world is filled in then. */
export function useInferWorld(tmp: TempDir, sub = ''): InferWorld {
  const world = {} as InferWorld;
  useBackend('cpu');
  beforeAll(async () => {
    Object.assign(world, await makeInferWorld(sub === '' ? tmp.path : join(tmp.path, sub)));
  });
  return world;
}

export const inject = { backend: 'cpu' as const, threads: 1, loadDetector: loadTestDetector, loadClassifier: loadTestClassifier, batchSize: 3 };

export function runInfer(opts: Omit<InferOptions, 'loadDetector' | 'loadClassifier' | 'backend' | 'threads'>): ReturnType<typeof infer> {
  return infer({ ...inject, ...opts });
}

export interface Line {
  path: string;
  category: string;
  score: number;
  label: 0 | 1;
  threshold: number;
  model: string;
  classifier: { category: string; confidence: number } | null;
  map: string | null;
  overlay: string | null;
  mask: string | null;
  route: { reason: string; from?: string; chosen?: string; minConfidence?: number };
  artifact: { kind: string; category: string; version: number; dir: string };
}

export async function readLines(out: string): Promise<Line[]> {
  const text = await readFile(join(out, 'predictions.jsonl'), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.trimEnd().split('\n').map((l) => JSON.parse(l) as Line);
}

export function byPath(lines: Line[]): Line[] {
  return [...lines].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The category of a test image of the tiny dataset, from its path <data>/<category>/test/<type>/<file>. */
export function categoryOfPath(path: string): string {
  const parts = path.split('/');
  return parts[parts.length - 4] as string;
}
