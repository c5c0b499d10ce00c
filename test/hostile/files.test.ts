// Files an attacker controls: artifact files, maps and images that are links to /dev/zero or to files outside
// their folder, FIFOs; names with a backslash; a dataset root given to infer (its masks are no parts); the
// artifact a prediction names is the one actually loaded.
import { execFileSync } from 'node:child_process';
import { copyFile, cp, mkdir, readdir, symlink, unlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { loadArtifact, writeArtifact } from '../../src/pipeline/artifacts/index.js';
import { sha256 } from '../../src/pipeline/artifacts/files.js';
import { decodeImage } from '../../src/pipeline/io/decode.js';
import { encodeNpy, readNpy } from '../../src/pipeline/io/npy.js';
import { evaluate } from '../../src/pipeline/services/evaluate.js';
import { failure } from '../helpers/training-run.js';
import { readLines, runInfer, useInferWorld } from '../pipeline/infer/infer-helpers.js';
import { useTempDir } from '../helpers/temp-dir.js';

/** Fails the test instead of hanging it: a read of /dev/zero or a FIFO that is not refused never ends. */
async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('hostile files (items 5, 6, 7, 9)', () => {
  const tmp = useTempDir('madenet-hostile-files-');
  const w = useInferWorld(tmp, 'world');

  it('item 9: an artifact file linked to /dev/zero, to a secret outside, or replaced by a FIFO is refused at once, revealing nothing', async () => {
    const secret = join(tmp.path, 'secret.txt');
    const secretText = 'root:$6$very-secret-hash:19000:0:99999:7:::\n';
    await writeFile(secret, secretText);
    for (const [name, plant] of [
      ['zero', (f: string) => symlink('/dev/zero', f)],
      ['secret', (f: string) => symlink(secret, f)],
      ['fifo', async (f: string) => execFileSync('mkfifo', [f])],
    ] as const) {
      const ref = await writeArtifact({ root: join(tmp.path, 'art'), kind: 'srad', category: name, config: {}, seed: 1, files: { 'thresholds.json': '{}\n' } });
      const file = join(ref.dir, 'thresholds.json');
      await unlink(file);
      await plant(file);
      const err = await within(5000, failure(loadArtifact(ref.dir)));
      expect(err.code).toBe('E_CHECKSUM');
      expect(err.message).toContain(file);
      // The expected hash of '{}\n' may be printed; never the hash or size of what the link leads to.
      expect(err.message).not.toContain(sha256(secretText));
      expect(err.message).not.toContain(`${Buffer.byteLength(secretText)} bytes`);
    }
  });

  it('item 9: evaluate refuses a map linked to /dev/zero or outside the predictions folder, a FIFO map, and a map that declares 10^10 values', async () => {
    const out = join(tmp.path, 'pred-9');
    await runInfer({ perfmap: w.sure, input: w.glob, out, saveMaps: true });
    const lines = await readLines(out);
    const mapFile = join(out, lines[0]?.map as string);
    await unlink(mapFile);
    await symlink('/dev/zero', mapFile);
    const zero = await within(10_000, failure(evaluate({ predictions: out, data: w.data, out: join(tmp.path, 'ev-9') })));
    expect(zero.code).toBe('E_UNSAFE_PATH');
    expect(zero.message).toContain(mapFile);
    await unlink(mapFile);
    execFileSync('mkfifo', [mapFile]);
    expect((await within(5000, failure(readNpy(mapFile, { root: out })))).code).toBe('E_NOT_A_FILE');
    await unlink(mapFile);
    const header = encodeNpy(new Float32Array(1), [1]).toString('latin1').replace("'shape': (1,), ", "'shape': (100000, 100000), ");
    await writeFile(mapFile, Buffer.from(header, 'latin1'));
    const huge = await failure(readNpy(mapFile, { root: out }));
    expect(huge.code).toBe('E_DECODE');
    expect(huge.message).toContain('10000000000 values');
  });

  it('item 9: an image that is a FIFO is a decode error, not a hang', async () => {
    const fifo = join(tmp.path, 'image.png');
    execFileSync('mkfifo', [fifo]);
    const err = await within(5000, failure(decodeImage(fifo)));
    expect(err.code).toBe('E_DECODE');
    expect(err.message).toContain('FIFO');
  });

  it('item 6: a file name with a backslash is listed and predicted under its own name', async () => {
    const input = join(tmp.path, 'backslash');
    await mkdir(input, { recursive: true });
    const source = (await readLines(await (async () => {
      const o = join(tmp.path, 'pred-6a');
      await runInfer({ perfmap: w.sure, input: w.glob, out: o });
      return o;
    })()))[0]?.path as string;
    await copyFile(source, join(input, 'lot\\7.png'));
    await copyFile(source, join(input, 'plain.png'));
    const r = await runInfer({ perfmap: w.sure, input, out: join(tmp.path, 'pred-6'), category: 'alpha' });
    expect(r.images.predicted).toBe(2);
    expect((await readLines(join(tmp.path, 'pred-6'))).map((l) => relative(input, l.path)).sort()).toEqual(['lot\\7.png', 'plain.png']);
  });

  it('item 7: infer --input <dataset root> scores no ground-truth mask', async () => {
    const out = join(tmp.path, 'pred-7');
    const r = await runInfer({ perfmap: w.sure, input: w.data, out });
    const lines = await readLines(out);
    expect(lines.some((l) => l.path.includes('ground_truth') || l.path.endsWith('_mask.png'))).toBe(false);
    expect(r.images.predicted).toBe(lines.length);
    expect(lines.length).toBeGreaterThan(0);
  });

  it('item 5: a prediction names the artifact directory actually loaded (a copied root), not the build-time path', async () => {
    const copy = join(tmp.path, 'copied-art');
    await cp(w.art, copy, { recursive: true });
    const perfmap = join(copy, relative(w.art, w.sure));
    const out = join(tmp.path, 'pred-5');
    await runInfer({ perfmap, input: w.glob, out });
    const lines = await readLines(out);
    expect(lines.length).toBe(w.images);
    for (const l of lines) expect(l.artifact.dir.startsWith(copy)).toBe(true);
    expect((await readdir(copy)).length).toBeGreaterThan(0);
  });
});
