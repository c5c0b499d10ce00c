// Every manifest written while a command runs records that command's effective settings (see BaseCommand.parse).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setInvocation } from '../../../src/pipeline/artifacts/invocation.js';
import { writeArtifact } from '../../../src/pipeline/artifacts/store.js';

describe('invocation in manifests', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'madenet-invocation-'));
  });
  afterEach(async () => {
    setInvocation(null);
    await rm(root, { recursive: true, force: true });
  });

  it('records the current invocation, and nothing when there is none', async () => {
    const invocation = { command: 'train-srad', configFile: '/abs/run.yaml', flags: { category: 'BGA', epochs: 5 } };
    setInvocation(invocation);
    const a = await writeArtifact({ root, kind: 'srad', category: 'BGA', config: { x: 1 }, seed: 1, files: { 'a.txt': 'a' } });
    setInvocation(null);
    const b = await writeArtifact({ root, kind: 'srad', category: 'BGA', config: { x: 1 }, seed: 1, files: { 'a.txt': 'a' } });
    const manifest = async (dir: string): Promise<Record<string, unknown>> => JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect((await manifest(a.dir)).invocation).toEqual(invocation);
    expect(await manifest(b.dir)).not.toHaveProperty('invocation');
  });
});
