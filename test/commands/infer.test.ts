import { jest } from '@jest/globals';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireLock } from '../../src/pipeline/artifacts/lock.js';
import { loadTestClassifier, loadTestDetector } from '../pipeline/infer/fixtures.js';
import { runCommand } from '../helpers/run-command.js';
import { useTempDir } from '../helpers/temp-dir.js';

// The commands load submodels and the classifier through the registry; the tests swap in the tiny real test
// models (the production loaders are tested with the models themselves).
jest.unstable_mockModule('../../src/pipeline/detectors/registry.js', () => ({
  loadDetector: loadTestDetector,
  loadClassifierArtifact: loadTestClassifier,
}));

const { default: Infer } = await import('../../src/commands/infer.js');
const { default: InferMerge } = await import('../../src/commands/infer/merge.js');
const { default: BuildPerfmap } = await import('../../src/commands/build-perfmap.js');
const { makeInferWorld, readLines } = await import('../pipeline/infer/infer-helpers.js');
type World = Awaited<ReturnType<typeof makeInferWorld>>;

interface Run {
  stdout: string;
  stderr: string;
  error: (Error & { code?: string; oclif?: { exit?: number } }) | undefined;
  exitCode: number | string | undefined;
}

async function run(cmd: { run(argv: string[], root: string): Promise<unknown> }, argv: string[]): Promise<Run> {
  return runCommand(cmd, argv);
}

const cpu = ['--backend', 'cpu', '--threads', '1'];

describe('madenet build-perfmap / infer / infer merge', () => {
  const tmp = useTempDir('madenet-infer-cmd-');
  let w: World;
  beforeAll(async () => {
    w = await makeInferWorld(tmp.path);
  });

  it('build-perfmap prints the choice per category, and --json the whole result', async () => {
    const models = ['srad', 'sfad'].flatMap((k) => ['--model', join(w.art, k, 'alpha')]);
    const human = await run(BuildPerfmap, ['--data', w.data, ...models, '--category', 'alpha', '--out', w.art, '--lambda', '0.6', ...cpu]);
    expect(human.error).toBeUndefined();
    expect(human.stdout).toMatch(/^lambda 0\.6: objective = lambda \* image AUROC/);
    expect(human.stdout).toMatch(/\nalpha: srad by 0\.\d{3} on 1 normals \+ 2 synthetic defects\n {2}srad /);
    expect(human.stdout).toContain(`Saved ${join(w.art, 'perfmap', 'all', 'v0005')}`);
    const json = await run(BuildPerfmap, ['--data', w.data, ...models, '--category', 'alpha', '--out', w.art, '--json', ...cpu]);
    const doc = JSON.parse(json.stdout);
    expect(doc.artifact.version).toBe(6);
    expect(doc.perfmap.categories.alpha.chosen).toBe('srad');
    const bad = await run(BuildPerfmap, ['--data', w.data, ...models, '--out', w.art, '--lambda', '2', '--json', ...cpu]);
    expect(JSON.parse(bad.stdout).error).toMatchObject({ code: 'E_USAGE' });
  });

  it('infer --json prints the result; --fail-on-anomaly exits with 3 when an image is anomalous', async () => {
    const out = join(tmp.path, 'cmd-a');
    const a = await run(Infer, ['--perfmap', w.sure, '--input', w.glob, '--out', out, '--json', ...cpu]);
    expect(a.error).toBeUndefined();
    expect(a.exitCode).toBeUndefined();
    const doc = JSON.parse(a.stdout);
    expect(doc.images.predicted).toBe(w.images);
    expect(doc.anomalies).toBeGreaterThan(0);
    expect(Object.keys(doc.timing.stages)).toEqual(['decode', 'classify', 'score', 'write', 'load']);
    expect(await readLines(out)).toHaveLength(w.images);
    const b = await run(Infer, ['--perfmap', w.sure, '--input', w.glob, '--out', join(tmp.path, 'cmd-b'), '--fail-on-anomaly', ...cpu]);
    expect(b.exitCode).toBe(3);
    expect(b.stdout).toMatch(/^Predicted 14 image\(s\)\.\nThroughput [\d.]+ images\/s over [\d.]+ s; busy time: decode [\d.]+ s, classify/);
    expect(b.stdout).toMatch(/Routes: confident 14; models: srad 14\./);
    expect(b.stderr).toMatch(/anomalous image\(s\): exit status 3/);
    // A finished run resumed has nothing to do and nothing anomalous: exit 0.
    const c = await run(Infer, ['--perfmap', w.sure, '--input', w.glob, '--out', join(tmp.path, 'cmd-b'), '--resume', '--fail-on-anomaly', ...cpu]);
    expect(c.exitCode).toBeUndefined();
    expect(c.stdout).toMatch(/^Predicted 0 image\(s\), 14 already done\./);
  });

  it('infer refuses a bad --shard and a locked --out with stable codes', async () => {
    const a = await run(Infer, ['--perfmap', w.sure, '--input', w.glob, '--out', join(tmp.path, 'cmd-c'), '--shard', '3/3', '--json', ...cpu]);
    expect(JSON.parse(a.stdout).error).toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('--shard is "3/3"'), exit: 2 });
    expect(a.exitCode).toBe(2);
    const out = join(tmp.path, 'cmd-locked');
    await mkdir(out, { recursive: true });
    const release = await acquireLock(out);
    try {
      const b = await run(Infer, ['--perfmap', w.sure, '--input', w.glob, '--out', out, '--json', ...cpu]);
      expect(JSON.parse(b.stdout).error).toMatchObject({ code: 'E_LOCKED', message: expect.stringContaining(join(out, '.lock')), exit: 75 });
      expect(b.exitCode).toBe(75);
    } finally {
      await release();
    }
  });

  it('infer merge joins shard directories given as arguments', async () => {
    const shards = [0, 1].map((k) => join(tmp.path, `cmd-shard-${k}`));
    for (const [k, out] of shards.entries()) {
      const r = await run(Infer, ['--perfmap', w.sure, '--input', w.glob, '--out', out, '--shard', `${k}/2`, '--save-maps', ...cpu]);
      expect(r.error).toBeUndefined();
    }
    const merged = join(tmp.path, 'cmd-merged');
    const m = await run(InferMerge, [...shards, '--out', merged, '--json']);
    expect(m.error).toBeUndefined();
    expect(JSON.parse(m.stdout)).toMatchObject({ predictions: w.images, files: 2 * w.images, out: merged }); // a map and a mask per image
    expect(await readLines(merged)).toHaveLength(w.images);
    const human = await run(InferMerge, [shards[0] as string, '--out', join(tmp.path, 'cmd-merged-2')]);
    expect(human.exitCode).toBe(2); // E_USAGE: the directories given are not a whole set of shards
    expect(human.error?.message).toMatch(/shard 1\/2 is missing/);
    expect(JSON.parse(await readFile(join(merged, 'infer.json'), 'utf8')).complete).toBe(true);
  });
});
