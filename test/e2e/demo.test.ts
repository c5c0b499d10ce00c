// The one chain through the real binary: `madenet demo --plan smoke --json` runs every pipeline step on
// generated data and prints exactly one JSON document. Needs `npm run build` (CI's npm ci runs it).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEMO_PLANS } from '../../src/pipeline/services/demo-plan.js';
import { demoStepCount } from '../../src/pipeline/services/demo.js';
import { useTempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('madenet demo (bin/run.js)', () => {
  const tmp = useTempDir('madenet-demo-e2e-');

  it('runs make-demo -> synth -> train x3 -> finetune x3 -> classifier + finetune -> perfmap -> infer -> evaluate', async () => {
    const out = join(tmp.path, 'demo');
    const { stdout } = await run(process.execPath, [join(root, 'bin', 'run.js'), 'demo', '--plan', 'smoke', '--out', out, '--json', '--backend', 'wasm', '--threads', '1'], {
      env: { ...process.env, NODE_OPTIONS: '' },
      maxBuffer: 16 * 1024 * 1024,
    });
    const result = JSON.parse(stdout) as {
      categories: string[];
      table: { category: string; chosen: string; imageAuroc: number | null; finetune: Record<string, unknown> }[];
      meanImageAuroc: number | null;
      report: string;
      artifacts: { submodels: string[]; classifier: string; perfmap: string };
      steps: { step: string; seconds: number; cpuSeconds: number }[];
      seconds: number;
      cpuSeconds: number;
    };
    expect(result.categories).toEqual(['BGA', 'QFN']);
    expect(result.table.map((r) => r.category)).toEqual(['BGA', 'QFN']);
    for (const row of result.table) {
      expect(['srad', 'sfad', 'lpd']).toContain(row.chosen);
      expect(Object.keys(row.finetune).sort()).toEqual(['lpd', 'sfad', 'srad']);
    }
    expect(typeof result.meanImageAuroc).toBe('number');
    expect(existsSync(result.report)).toBe(true);
    // Every artifact stays under --out; the fine-tuned versions are what the perfmap references.
    for (const dirPath of [...result.artifacts.submodels, result.artifacts.classifier, result.artifacts.perfmap]) {
      expect(dirPath.startsWith(out)).toBe(true);
    }
    expect(result.artifacts.submodels).toHaveLength(6);
    // Each submodel was fine-tuned (v0002 exists); the perfmap gets the fine-tuned version unless it lost to its
    // parent on validation, and then the parent (v0001) whose loss the fine-tune's manifest records.
    for (const d of result.artifacts.submodels) {
      const tuned = JSON.parse(await readFile(join(d, '..', 'v0002', 'manifest.json'), 'utf8')) as { metrics: { delta: { objective: number | null } } };
      if (d.endsWith('v0001')) expect(tuned.metrics.delta.objective).toBeLessThan(0);
      else expect(d.endsWith('v0002')).toBe(true);
    }
    expect(result.artifacts.classifier.endsWith('v0002')).toBe(true);
    const perfmap = JSON.parse(await readFile(join(result.artifacts.perfmap, 'perfmap.json'), 'utf8')) as { categories: Record<string, unknown> };
    expect(Object.keys(perfmap.categories).sort()).toEqual(['BGA', 'QFN']);
    // `[demo k/N]` counts the steps before they run: N must be what runDemo then does.
    expect(result.steps).toHaveLength(demoStepCount(DEMO_PLANS.smoke, result.categories.length));
    // Wall and CPU seconds per step and in all: the steps' CPU is part of the run's.
    for (const s of result.steps) expect(s.cpuSeconds).toBeGreaterThanOrEqual(0);
    expect(result.cpuSeconds).toBeGreaterThan(0);
    expect(result.steps.reduce((a, s) => a + s.cpuSeconds, 0)).toBeLessThanOrEqual(result.cpuSeconds + 1e-6);
    expect(result.steps.map((s) => s.step.split(' ')[0])).toEqual(
      expect.arrayContaining(['make-demo', 'dataset', 'synth', 'train-srad', 'train-sfad', 'train-lpd', 'finetune', 'train-classifier', 'build-perfmap', 'infer', 'evaluate']),
    );
  }, 600_000);
});
