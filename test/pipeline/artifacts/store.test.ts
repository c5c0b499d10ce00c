import { createHash } from 'node:crypto';
import { readFile, readdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARTIFACT_SCHEMA_VERSION, listVersions, loadArtifact, toolVersion, writeArtifact } from '../../../src/pipeline/artifacts/index.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

describe('artifact store', () => {
  const tmp = useTempDir('madenet-store-', 'test');

  it('writes vNNNN with a complete manifest and LATEST, and loads it by version or by kind dir', async () => {
    // What the writer is given and the manifest must record as given.
    const recorded = { config: { imageSize: 64, lr: 0.001 }, seed: 42, datasetFingerprint: 'f'.repeat(64), metrics: { imageAuroc: 0.93 }, parents: [{ kind: 'srad', category: 'transistor', version: 3 }] };
    const ref = await writeArtifact({
      root: tmp.path,
      kind: 'sfad',
      category: 'transistor',
      ...recorded,
      runtime: { backend: 'wasm', threads: 2 },
      files: { 'thresholds.json': '{"t":0.5}', 'maps/bins.bin': Buffer.from([1, 2, 3]) },
    });
    const base = join(tmp.path, 'sfad', 'transistor');
    expect(ref).toEqual({ kind: 'sfad', category: 'transistor', version: 1, dir: join(base, 'v0001') });
    expect((await readFile(join(base, 'LATEST'), 'utf8')).trim()).toBe('v0001');
    const manifest = JSON.parse(await readFile(join(ref.dir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      schemaVersion: ARTIFACT_SCHEMA_VERSION,
      kind: 'sfad',
      category: 'transistor',
      version: 1,
      tool: { name: 'madenet', version: toolVersion() },
      backend: 'wasm',
      ...recorded,
      files: {
        'thresholds.json': { sha256: sha('{"t":0.5}'), bytes: 9 },
        'maps/bins.bin': { sha256: sha(Buffer.from([1, 2, 3])), bytes: 3 },
      },
    });
    expect(toolVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(Date.parse(manifest.created)).toBeGreaterThan(Date.now() - 60_000);

    const byKind = await loadArtifact(base);
    const byVersion = await loadArtifact(ref.dir);
    expect(byKind.ref).toEqual(ref);
    expect(byVersion.manifest).toEqual(byKind.manifest);
    expect((await byKind.readFile('maps/bins.bin')).equals(Buffer.from([1, 2, 3]))).toBe(true);
    await expect(byKind.readFile('other.json')).rejects.toMatchObject({ code: 'E_ARTIFACT' });
  });

  it('numbers versions upwards, moves LATEST, never touches older versions, and lists them', async () => {
    const opts = { root: tmp.path, kind: 'srad', category: 'c', config: {}, seed: 1 };
    const v1 = await writeArtifact({ ...opts, files: { 'x.txt': 'one' } });
    const before = await readFile(join(v1.dir, 'x.txt'), 'utf8');
    const v2 = await writeArtifact({ ...opts, files: { 'x.txt': 'two' } });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(await readFile(join(v1.dir, 'x.txt'), 'utf8')).toBe(before);
    expect((await loadArtifact(join(tmp.path, 'srad', 'c'))).ref.version).toBe(2);
    expect((await listVersions(tmp.path, 'srad', 'c')).map((r) => r.version)).toEqual([1, 2]);
    expect((await readdir(join(tmp.path, 'srad', 'c'))).sort()).toEqual(['LATEST', 'v0001', 'v0002']);
  });

  it('refuses a file whose checksum no longer matches, naming it', async () => {
    const ref = await writeArtifact({ root: tmp.path, kind: 'lpd', category: 'c', config: {}, seed: 1, files: { 'w.bin': Buffer.alloc(64, 7) } });
    const bytes = Buffer.alloc(64, 7);
    bytes[10] = 8; // same size, one byte changed
    await writeFile(join(ref.dir, 'w.bin'), bytes);
    await expect(loadArtifact(ref.dir)).rejects.toMatchObject({ code: 'E_CHECKSUM', message: expect.stringContaining(join(ref.dir, 'w.bin')) });
    await unlink(join(ref.dir, 'w.bin'));
    await expect(loadArtifact(ref.dir)).rejects.toMatchObject({ code: 'E_CHECKSUM', message: expect.stringContaining('missing') });
  });

  it('refuses a file changed after loading when it is read', async () => {
    const ref = await writeArtifact({ root: tmp.path, kind: 'lpd', category: 'c', config: {}, seed: 1, files: { 'w.txt': 'abc' } });
    const loaded = await loadArtifact(ref.dir);
    await writeFile(join(ref.dir, 'w.txt'), 'abd');
    await expect(loaded.readFile('w.txt')).rejects.toMatchObject({ code: 'E_CHECKSUM' });
  });

  it('refuses a manifest from a newer schema, and a broken manifest', async () => {
    const ref = await writeArtifact({ root: tmp.path, kind: 'lpd', category: 'c', config: {}, seed: 1 });
    const path = join(ref.dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...manifest, schemaVersion: ARTIFACT_SCHEMA_VERSION + 1, tool: { name: 'madenet', version: '9.0.0' } }));
    await expect(loadArtifact(ref.dir)).rejects.toMatchObject({ code: 'E_SCHEMA', message: expect.stringMatching(/schema version 2, written by a newer madenet \(9\.0\.0\)/) });
    await writeFile(path, '{"schemaVersion": "one"}');
    await expect(loadArtifact(ref.dir)).rejects.toMatchObject({ code: 'E_SCHEMA' });
    await writeFile(path, '{ not json');
    await expect(loadArtifact(ref.dir)).rejects.toMatchObject({ code: 'E_ARTIFACT' });
  });

  it('says clearly when there is nothing to load or LATEST is broken', async () => {
    await expect(loadArtifact(join(tmp.path, 'nothing'))).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await writeArtifact({ root: tmp.path, kind: 'k', category: 'c', config: {}, seed: 1 });
    await writeFile(join(tmp.path, 'k', 'c', 'LATEST'), 'v0009\n');
    await expect(loadArtifact(join(tmp.path, 'k', 'c'))).rejects.toMatchObject({ code: 'E_ARTIFACT', message: expect.stringContaining('v0009') });
  });

  it('rejects unsafe kind, category and file names before writing anything', async () => {
    await expect(writeArtifact({ root: tmp.path, kind: '../up', category: 'c', config: {}, seed: 1 })).rejects.toMatchObject({ code: 'E_ARTIFACT' });
    await expect(writeArtifact({ root: tmp.path, kind: 'k', category: 'c', config: {}, seed: 1, files: { '../x': 'a' } })).rejects.toMatchObject({ code: 'E_ARTIFACT' });
    await expect(writeArtifact({ root: tmp.path, kind: 'k', category: 'c', config: {}, seed: 1, files: { 'manifest.json': 'a' } })).rejects.toMatchObject({ code: 'E_ARTIFACT' });
    expect(await readdir(tmp.path)).toEqual([]);
  });
});
