// User-caused conditions get their own codes, never "E_INTERNAL ... a bug in madenet": a full disk (ENOSPC, from
// /dev/full), permissions and read-only filesystems, an --out that is a device, --category __proto__ or
// constructor, and malformed fields in an artifact manifest.
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadArtifact, writeArtifact } from '../../src/pipeline/artifacts/index.js';
import { lockOutputFolder } from '../../src/pipeline/artifacts/output-folder.js';
import { BaseCommand } from '../../src/pipeline/cli/base-command.js';
import { fromSystemError } from '../../src/pipeline/core/system-errors.js';
import { failure } from '../helpers/training-run.js';
import { runCommand } from '../helpers/run-command.js';
import { runInfer, useInferWorld } from '../pipeline/infer/infer-helpers.js';
import { useTempDir } from '../helpers/temp-dir.js';

/** A command around the infer service (with the test loaders): what `madenet infer` meets when the disk is full. */
class InferInto extends BaseCommand {
  static override flags = {};
  static work: () => Promise<unknown> = async () => undefined;
  async run(): Promise<void> {
    await InferInto.work();
  }
}

describe('error codes for user-caused conditions (item 13)', () => {
  const tmp = useTempDir('madenet-hostile-errors-');
  const w = useInferWorld(tmp, 'world');

  it('item 13: a full disk (ENOSPC) during infer is E_NO_SPACE naming predictions.jsonl, in --json too, not E_INTERNAL', async () => {
    const out = join(tmp.path, 'full');
    await mkdir(out, { recursive: true });
    // /dev/full fails every write with ENOSPC: the disk-full case without a tiny tmpfs.
    await symlink('/dev/full', join(out, 'predictions.jsonl'));
    InferInto.work = () => runInfer({ perfmap: w.none, input: w.glob, out, category: 'alpha' });
    const r = await runCommand(InferInto, ['--json']);
    const doc = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    expect(doc.error.code).toBe('E_NO_SPACE');
    expect(doc.error.message).toContain(join(out, 'predictions.jsonl'));
    expect(r.exitCode).toBe(1);
    expect(existsSync(join(out, '.lock'))).toBe(false);
  });

  it('item 13: EACCES, EROFS and EDQUOT map to their own codes with the path', () => {
    const sys = (code: string) => Object.assign(new Error(code), { code, path: '/mnt/x/out', syscall: 'open' });
    expect(fromSystemError(sys('EACCES'))).toMatchObject({ code: 'E_PERMISSION', message: expect.stringContaining('/mnt/x/out') });
    expect(fromSystemError(sys('EROFS'))).toMatchObject({ code: 'E_READ_ONLY', message: expect.stringContaining('/mnt/x/out') });
    expect(fromSystemError(sys('EDQUOT'))).toMatchObject({ code: 'E_NO_SPACE' });
    expect(fromSystemError(new Error('plain'))).toBeNull();
  });

  it('item 13: --out /dev/null (a device) is E_NOT_A_DIRECTORY, and nothing is written', async () => {
    const err = await failure(lockOutputFolder('/dev/null', 'infer'));
    expect(err.code).toBe('E_NOT_A_DIRECTORY');
    expect(err.message).toContain('/dev/null is not a folder (it is a device)');
    const viaInfer = await failure(runInfer({ perfmap: w.none, input: w.glob, out: '/dev/null', category: 'alpha' }));
    expect(viaInfer.code).toBe('E_NOT_A_DIRECTORY');
  });

  it('item 13: --category __proto__ or constructor is E_CATEGORY listing the real categories', async () => {
    for (const category of ['__proto__', 'constructor', 'toString']) {
      const err = await failure(runInfer({ perfmap: w.none, input: w.glob, out: join(tmp.path, `cat-${category}`), category }));
      expect(err.code).toBe('E_CATEGORY');
      expect(err.message).toContain(`--assume-category ${category}`);
      expect(err.message).toContain('alpha, beta');
    }
  });

  it('item 13: malformed manifest fields are E_SCHEMA naming the field', async () => {
    const ref = await writeArtifact({ root: join(tmp.path, 'art'), kind: 'srad', category: 'c', config: {}, seed: 1, files: { 'a.txt': 'a' } });
    const path = join(ref.dir, 'manifest.json');
    const good = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    for (const [field, value] of [
      ['files', { 'a.txt': 5 }],
      ['files', []],
      ['models', 'model'],
      ['parents', { kind: 'x' }],
      ['metrics', [1]],
    ] as const) {
      await writeFile(path, JSON.stringify({ ...good, [field]: value }));
      const err = await failure(loadArtifact(ref.dir));
      expect(err.code).toBe('E_SCHEMA');
      expect(err.message).toContain(field);
    }
  });
});
