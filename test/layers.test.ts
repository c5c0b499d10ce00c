// The layer rules of .dependency-cruiser.cjs (README "Architecture"): src/ must pass them, and a tiny tree with
// one upward import per rule must fail each of them, so that the check cannot pass by matching nothing.
// The cruiser runs as its CLI in a child process (as `npm run lint:layers` does), with JSON output.
import { execFile } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useTempDir } from './helpers/temp-dir.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const config = join(root, '.dependency-cruiser.cjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
  cycle?: { name: string }[];
}

interface CruiseResult {
  summary: { violations: Violation[]; error: number; totalCruised: number };
}

/** Runs the cruiser over `target` in `cwd`; its exit status is the error count, so a non-zero exit is not a failure here. */
function cruise(cwd: string, target: string): Promise<CruiseResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [cli, target, '--config', config, '--output-type', 'json'],
      { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NODE_OPTIONS: '' } },
      (error, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout) as CruiseResult);
        } catch {
          reject(new Error(`dependency-cruiser gave no JSON (${error?.message ?? 'exit 0'}): ${stderr}`));
        }
      },
    );
  });
}

function describeViolation(v: Violation): string {
  const via = v.cycle ? ` (cycle: ${v.cycle.map((c) => c.name).join(' -> ')})` : '';
  return `${v.rule.name}: ${v.from} -> ${v.to}${via}`;
}

/** `src/x.ts -> node_modules/@scope/name/dist/i.js` -> `@scope/name`; a core module (`fs`) stays as it is. */
function packageOf(edge: string): string {
  const to = edge.split(' -> ')[1] ?? '';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(to);
  return match?.[1] ?? to;
}

describe('layer rules (.dependency-cruiser.cjs)', () => {
  it('src/ has no cycles and no import that points up a layer', async () => {
    // Given the source tree; When it is cruised with the repository's rules
    const result = await cruise(root, 'src');
    // Then there is no violation (the list names each one, so a failure says what to fix)
    expect(result.summary.totalCruised).toBeGreaterThan(100);
    expect(result.summary.violations.map(describeViolation)).toEqual([]);
  });

  describe('on a tree that breaks every rule once', () => {
    const tmp = useTempDir('madenet-layers-');
    const files: Record<string, string> = {
      // Allowed (node:fs resolves to the core module fs): models -> models, models -> core, models -> @tensorflow, pipeline -> models, commands -> pipeline.
      'src/pipeline/core/errors.ts': "export class MadenetError extends Error {}\n",
      'src/models/net/model.ts': "import * as tf from '@tensorflow/tfjs';\nimport { MadenetError } from '../../pipeline/core/errors.js';\nimport { helper } from '../shared/helper.js';\nexport const net = [tf, MadenetError, helper];\n",
      'src/models/shared/helper.ts': 'export const helper = 1;\n',
      'src/pipeline/io/read.ts': "import { readFile } from 'node:fs/promises';\nimport { net } from '../../models/net/model.js';\nexport const read = [readFile, net];\n",
      'src/commands/run.ts': "import { read } from '../pipeline/io/read.js';\nexport default read;\n",
      // One break per rule.
      'src/pipeline/core/upward.ts': "import { read } from '../io/read.js';\nexport const up = read;\n",
      'src/pipeline/core/heavy.ts': "import { readFileSync } from 'node:fs';\nexport const heavy = readFileSync;\n",
      'src/models/net/upward.ts': "import { read } from '../../pipeline/io/read.js';\nexport const up = read;\n",
      'src/models/net/disk.ts': "import { readFileSync } from 'fs';\nimport sharp from 'sharp';\nimport { Command } from '@oclif/core';\nexport const disk = [readFileSync, sharp, Command];\n",
      'src/models/net/queue.ts': "import pLimit from 'p-limit';\nexport const queue = pLimit;\n",
      'src/pipeline/io/command-user.ts': "import run from '../../commands/run.js';\nexport const user = run;\n",
      'src/commands/other.ts': "import run from './run.js';\nexport default run;\n",
      'src/pipeline/io/ping.ts': "import { pong } from './pong.js';\nexport const ping = () => pong;\n",
      'src/pipeline/io/pong.ts': "import { ping } from './ping.js';\nexport const pong = () => ping;\n",
      'src/pipeline/io/missing.ts': "import { gone } from './gone.js';\nexport const missing = gone;\n",
      // A submodel's network: allowed to import tfjs, src/models, core and its own model/ folder.
      'src/pipeline/submodels/toy/model/net.ts': "import * as tf from '@tensorflow/tfjs';\nimport { helper } from '../../../../models/shared/helper.js';\nimport { MadenetError } from '../../../core/errors.js';\nimport { own } from './own.js';\nexport const toy = [tf, helper, MadenetError, own];\n",
      'src/pipeline/submodels/toy/model/own.ts': 'export const own = 1;\n',
      'src/pipeline/submodels/other/model/net.ts': 'export const other = 2;\n',
      'src/pipeline/services/flow.ts': "import { toy } from '../submodels/toy/model/net.js';\nexport const flow = toy;\n",
      // Breaks: another kind's network and the platform from a model/ folder; fs, sharp, p-limit there; platform -> submodel; domain -> service.
      'src/pipeline/submodels/toy/model/upward.ts': "import { other } from '../../other/model/net.js';\nimport { read } from '../../../io/read.js';\nexport const up = [other, read];\n",
      'src/pipeline/submodels/toy/model/disk.ts': "import { readFileSync } from 'node:fs';\nimport sharp from 'sharp';\nimport pLimit from 'p-limit';\nexport const disk = [readFileSync, sharp, pLimit];\n",
      'src/pipeline/io/domain-user.ts': "import { toy } from '../submodels/toy/model/net.js';\nexport const user = toy;\n",
      'src/pipeline/submodels/toy/calls-up.ts': "import { flow } from '../../services/flow.js';\nexport const callsUp = flow;\n",
    };

    beforeAll(async () => {
      for (const [path, text] of Object.entries(files)) {
        await mkdir(dirname(join(tmp.path, path)), { recursive: true });
        await writeFile(join(tmp.path, path), text);
      }
      await writeFile(join(tmp.path, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
      // The real packages, so that sharp, @oclif/core and @tensorflow/tfjs resolve as they do in the repository.
      await symlink(join(root, 'node_modules'), join(tmp.path, 'node_modules'), 'dir');
    });

    it('reports each break under its rule and nothing else', async () => {
      const result = await cruise(tmp.path, 'src');
      const found = result.summary.violations.map(describeViolation);
      const byRule = (name: string) => result.summary.violations.filter((v) => v.rule.name === name).map((v) => `${v.from} -> ${v.to}`);

      expect(byRule('core-imports-nothing-of-ours')).toEqual(['src/pipeline/core/upward.ts -> src/pipeline/io/read.ts']);
      expect(byRule('core-no-heavy-packages')).toEqual(['src/pipeline/core/heavy.ts -> fs']);
      expect(byRule('models-only-models-and-core')).toEqual(['src/models/net/upward.ts -> src/pipeline/io/read.ts']);
      expect(byRule('models-no-fs-sharp-oclif').map(packageOf).sort()).toEqual(['@oclif/core', 'fs', 'sharp']);
      expect(byRule('models-npm-only-tensorflow').map(packageOf).sort()).toEqual(['@oclif/core', 'p-limit', 'sharp']);
      expect(byRule('pipeline-not-commands')).toEqual(['src/pipeline/io/command-user.ts -> src/commands/run.ts']);
      expect(byRule('nothing-imports-commands').sort()).toEqual(['src/commands/other.ts -> src/commands/run.ts', 'src/pipeline/io/command-user.ts -> src/commands/run.ts']);
      expect(byRule('submodel-model-tfjs-only').sort()).toEqual([
        'src/pipeline/submodels/toy/model/upward.ts -> src/pipeline/io/read.ts',
        'src/pipeline/submodels/toy/model/upward.ts -> src/pipeline/submodels/other/model/net.ts',
      ]);
      expect(byRule('submodel-model-no-fs-sharp-oclif').map(packageOf).sort()).toEqual(['fs', 'sharp']);
      expect(byRule('submodel-model-npm-only-tensorflow').map(packageOf).sort()).toEqual(['p-limit', 'sharp']);
      expect(byRule('platform-not-domain')).toEqual(['src/pipeline/io/domain-user.ts -> src/pipeline/submodels/toy/model/net.ts']);
      expect(byRule('services-are-workflows')).toEqual(['src/pipeline/submodels/toy/calls-up.ts -> src/pipeline/services/flow.ts']);
      // The cruiser reports a cycle once, from whichever of its modules it met first.
      expect(byRule('no-circular').map((e) => e.split(' -> ').sort().join(' ~ '))).toEqual(['src/pipeline/io/ping.ts ~ src/pipeline/io/pong.ts']);
      expect(byRule('not-to-unresolvable')).toEqual(['src/pipeline/io/missing.ts -> ./gone.js']);
      // The allowed files (model.ts, helper.ts, read.ts, run.ts) appear on no violation's "from" side.
      expect(found.filter((f) => /src\/(models\/net\/model|models\/shared\/helper|pipeline\/io\/read|commands\/run|pipeline\/submodels\/toy\/model\/(net|own)|pipeline\/services\/flow)\.ts ->/.test(f))).toEqual([]);
    });
  });
});
