// What the training-service tests share: a rejection read as a value, a run stopped after a given step (as Ctrl-C
// would) and resumed, checkpoints compared byte for byte, the saved detector run once, and a test split no trainer
// may read. Real files, no mocks.
import { beforeAll, expect } from '@jest/globals';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadLatestCheckpoint } from '../../src/pipeline/artifacts/index.js';
import { loadDetector } from '../../src/pipeline/detectors/registry.js';
import type { TrainProgress } from '../../src/pipeline/train/loop.js';
import { corruptCheckpointWeights } from './corrupt-checkpoint.js';
import type { TempDir } from './temp-dir.js';
import { makeTinyDataset, type TinyDatasetOptions } from './tiny-dataset.js';

export interface Rejection {
  code?: string;
  message: string;
  suggestions?: string[];
}

/** The error `p` rejects with, so that a test can look at its code and suggestions; throws if `p` resolves. */
export async function failure(p: Promise<unknown>): Promise<Rejection> {
  try {
    await p;
  } catch (err) {
    return err as Rejection;
  }
  throw new Error('expected a rejection');
}

/** signal + onProgress that ask the run to stop once `step` steps are done (it ends with E_INTERRUPTED). */
export function stopAfterStep(step: number): { signal: AbortSignal; onProgress: (p: TrainProgress) => void } {
  const stop = new AbortController();
  return { signal: stop.signal, onProgress: (p) => p.step === step && stop.abort() };
}

/** Overwrites every image under <root>/<category>/test/<sub> with non-PNG bytes: reading one fails the test. */
export async function spoilTestSplit(root: string, category = 'widget', subs: readonly string[] = ['good', 'scratch']): Promise<void> {
  for (const sub of subs) {
    const folder = join(root, category, 'test', sub);
    for (const f of await readdir(folder)) await writeFile(join(folder, f), 'not a png');
  }
}

/**
 * Before the block's tests: a tiny dataset in <tmp>/data with its test split spoiled (training must never read
 * it), and the trainer's options on it from `options(data)`. The returned object is filled in then.
 */
export function useTrainingData<B extends object>(tmp: TempDir, dataset: TinyDatasetOptions, options: (data: string) => B): B {
  const base = {} as B;
  beforeAll(async () => {
    const data = join(tmp.path, 'data');
    await makeTinyDataset(data, dataset);
    await spoilTestSplit(data);
    Object.assign(base, options(data));
  });
  return base;
}

/** The options interruptAndResume sets on a service's own. */
interface RunControl {
  out?: string;
  resume?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
}

/**
 * The exact-resume scenario: `train` uninterrupted into <dir>/straight, then into <dir>/cut stopped after `step`
 * steps (expected to end with E_INTERRUPTED), then resumed there.
 */
export async function interruptAndResume<O extends RunControl, R>(
  train: (opts: O) => Promise<R>,
  opts: Omit<O, 'out'>,
  dir: string,
  step: number,
): Promise<{ straight: R; cut: Rejection; resumed: R }> {
  // `out` is the one option O may require that opts lacks; TypeScript cannot see that through the spread.
  const at = (out: string, more: RunControl = {}): O => ({ ...opts, out: join(dir, out), ...more }) as O;
  const straight = await train(at('straight'));
  const cut = await failure(train(at('cut', stopAfterStep(step))));
  expect(cut.code).toBe('E_INTERRUPTED');
  const resumed = await train(at('cut', { resume: true }));
  return { straight, cut, resumed };
}

/** What expectExactResume reads of a trainer's result. */
interface ResumableRun {
  resumedFrom?: { step: number } | null;
  steps: number;
  epochs: { validation: unknown }[];
  artifact: { dir: string };
}

/**
 * interruptAndResume stopped after `stopAt` steps, then what an exact resume means for a trainer: the advice names
 * that step, the resumed run starts there and ends at `steps` with the same validation per epoch, the newest
 * checkpoints of both runs (at `steps`) hold `checkpointFiles` bit for bit, and so do the two artifacts' `artifactFile`.
 */
export async function expectExactResume<O extends RunControl, R extends ResumableRun>(
  train: (opts: O) => Promise<R>,
  opts: Omit<O, 'out'>,
  dir: string,
  expected: { kind: string; category: string; stopAt: number; steps: number; checkpointFiles: readonly string[]; artifactFile: string },
): Promise<void> {
  const { kind, category, stopAt, steps } = expected;
  const { straight, cut, resumed } = await interruptAndResume(train, opts, dir, stopAt);
  expect(cut.suggestions?.join(' ')).toContain(`step ${stopAt}`);
  expect(resumed.resumedFrom?.step).toBe(stopAt);
  expect(resumed.steps).toBe(steps);
  expect(resumed.epochs.map((e) => e.validation)).toEqual(straight.epochs.map((e) => e.validation));
  expect((await loadLatestCheckpoint(join(dir, 'cut'), kind, category))?.manifest.checkpoint?.step).toBe(steps);
  await expectSameCheckpointFiles(join(dir, 'straight'), join(dir, 'cut'), kind, category, expected.checkpointFiles);
  const saved = async (d: string) => readFile(join(d, expected.artifactFile));
  expect(Buffer.compare(await saved(straight.artifact.dir), await saved(resumed.artifact.dir))).toBe(0);
}

/**
 * The NaN-stop scenario: a run into `opts.out` stopped after `stopAt` steps, the newest checkpoint's `file` of
 * `kind`/`category` turned to NaN (checksum updated), then resumed. Returns the resume's rejection, the corrupted
 * checkpoint's step and how many tensors the failed resume left behind.
 */
export async function resumeFromNanCheckpoint<O extends RunControl & { out: string }>(
  train: (opts: O) => Promise<unknown>,
  opts: O,
  checkpoint: { kind: string; category: string; file: string },
  stopAt: number,
): Promise<{ err: Rejection; step: number; leaked: number }> {
  expect((await failure(train({ ...opts, ...stopAfterStep(stopAt) }))).code).toBe('E_INTERRUPTED');
  const step = await corruptCheckpointWeights(opts.out, checkpoint.kind, checkpoint.category, checkpoint.file);
  const before = tf.memory().numTensors;
  const err = await failure(train({ ...opts, resume: true }));
  return { err, step, leaked: tf.memory().numTensors - before };
}

/** Expects the newest checkpoints under two artifact roots to hold `files` (weights, optimizer slots) bit for bit. */
export async function expectSameCheckpointFiles(rootA: string, rootB: string, kind: string, category: string, files: readonly string[]): Promise<void> {
  const a = await loadLatestCheckpoint(rootA, kind, category);
  const b = await loadLatestCheckpoint(rootB, kind, category);
  if (!a || !b) throw new Error(`expected checkpoints of ${kind}/${category} under ${rootA} and ${rootB}`);
  expect(b.manifest.checkpoint?.step).toBe(a.manifest.checkpoint?.step);
  for (const f of files) expect(Buffer.compare(await a.readFile(f), await b.readFile(f))).toBe(0);
}

/** Loads the artifact as infer would and expects `n` flat grey images to give n scores and n maps at its size, leak-free. */
export async function expectDetectorPredicts(dir: string, kind: string, n = 2): Promise<void> {
  const detector = await loadDetector(dir);
  try {
    expect(detector.kind).toBe(kind);
    const size = detector.imageSize;
    const start = tf.memory().numTensors;
    const out = tf.tidy(() => {
      const o = detector.predict(tf.fill([n, size, size, 3], 0.5) as tf.Tensor4D);
      return [o.scores, o.maps];
    });
    expect(out[0]!.shape).toEqual([n]);
    expect(out[1]!.shape).toEqual([n, size, size]);
    tf.dispose(out);
    expect(tf.memory().numTensors).toBe(start);
  } finally {
    detector.dispose();
  }
}
