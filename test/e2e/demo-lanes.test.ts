// `madenet demo` trains its categories side by side in lane processes when it has more than one wasm thread
// (demo-lanes.ts). The lanes must change nothing but the time: the same steps, the same artifacts byte for byte
// and the same table as the in-process run (--threads 1). Needs `npm run build` (the lanes fork the compiled child).
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEMO_PLANS } from '../../src/pipeline/services/demo-plan.js';
import { demoStepCount } from '../../src/pipeline/services/demo.js';
import { useTempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

interface DemoJson {
  lanes: number;
  table: unknown[];
  meanImageAuroc: number | null;
  steps: { step: string; cpuSeconds: number; lane?: number }[];
  cpuSeconds: number;
}

async function demo(out: string, threads: number): Promise<DemoJson> {
  const args = [join(root, 'bin', 'run.js'), 'demo', '--plan', 'smoke', '--out', out, '--json', '--backend', 'wasm', '--threads', String(threads)];
  const { stdout } = await run(process.execPath, args, { env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as DemoJson;
}

/** Every network and GDE file the run saved (checkpoints aside), by path under artifacts/. */
async function savedWeights(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    const rel = relative(dir, path);
    if (e.isFile() && !rel.startsWith('checkpoints') && /\.(bin|safetensors)$/.test(e.name)) files.set(rel, await readFile(path));
  }
  return files;
}

describe('madenet demo lanes (bin/run.js)', () => {
  const tmp = useTempDir('madenet-demo-lanes-');

  it('gives the in-process run\'s artifacts and table with 2 lanes', async () => {
    const [single, laned] = await Promise.all([demo(join(tmp.path, 'one'), 1), demo(join(tmp.path, 'two'), 2)]);
    expect(single.lanes).toBe(1);
    expect(laned.lanes).toBe(2);
    expect(laned.table).toEqual(single.table.map((r) => JSON.parse(JSON.stringify(r).replaceAll(join(tmp.path, 'one'), join(tmp.path, 'two')))));
    expect(laned.meanImageAuroc).toBe(single.meanImageAuroc);
    // The same steps (in another order), each counted once; the lanes' CPU is part of the run's.
    expect(laned.steps).toHaveLength(demoStepCount(DEMO_PLANS.smoke, 2));
    expect(laned.steps.map((s) => s.step).sort()).toEqual(single.steps.map((s) => s.step).sort());
    expect(laned.steps.reduce((a, s) => a + s.cpuSeconds, 0)).toBeLessThanOrEqual(laned.cpuSeconds + 1e-6);
    // Training and fine-tuning ran in the lanes (both used), everything else here.
    for (const s of laned.steps) expect(/^(train-|finetune )/.test(s.step) ? [1, 2] : [undefined]).toContain(s.lane);
    expect(new Set(laned.steps.map((s) => s.lane).filter((l) => l !== undefined)).size).toBe(2);
    expect(single.steps.every((s) => s.lane === undefined)).toBe(true);
    const a = await savedWeights(join(tmp.path, 'one', 'artifacts'));
    const b = await savedWeights(join(tmp.path, 'two', 'artifacts'));
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    expect(a.size).toBeGreaterThanOrEqual(20);
    for (const [rel, bytes] of a) expect({ rel, same: bytes.equals(b.get(rel) as Buffer) }).toEqual({ rel, same: true });
  }, 600_000);

  it('hands a lane step\'s MadenetError back with its code, and close() ends the lanes', async () => {
    // The compiled module: its child script exists (from the TypeScript sources there is none to fork).
    const mod = (await import(join(root, 'dist', 'pipeline', 'services', 'demo-lanes.js'))) as typeof import('../../src/pipeline/services/demo-lanes.js');
    const script = mod.laneChildScript();
    expect(script).not.toBeNull();
    const lanes = new mod.DemoLanes(script as string, 2, { backend: 'wasm', threads: 1 });
    const missing = join(tmp.path, 'no-such-data');
    const options = { data: missing, category: 'BGA', out: join(tmp.path, 'art'), seed: 1, preset: 'tiny' as const, epochs: 1, batchSize: 2, lr: 1e-3 };
    let caught: unknown;
    await lanes.run('trainSrad', options).catch((e: unknown) => (caught = e));
    expect(caught).toMatchObject({ name: 'MadenetError' });
    expect((caught as { code: string }).code).toMatch(/^E_(?!INTERNAL)/);
    expect((caught as Error).message).toContain(missing);
    expect(lanes.cpuSeconds()).toBeGreaterThan(0);
    await lanes.close();
  }, 120_000);
});
