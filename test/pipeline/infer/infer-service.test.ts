import * as tf from '@tensorflow/tfjs';
import { cp, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { acquireLock } from '../../../src/pipeline/artifacts/lock.js';
import { listImages } from '../../../src/pipeline/io/glob.js';
import { readNpy } from '../../../src/pipeline/io/npy.js';
import { loadPerfMap } from '../../../src/pipeline/perfmap/schema.js';
import { readPredictions } from '../../../src/pipeline/predictions/read-predictions.js';
import { CSV_COLUMNS } from '../../../src/pipeline/predictions/predictions-csv.js';
import { evaluate } from '../../../src/pipeline/services/evaluate.js';
import { loadCounts } from './fixtures.js';
import { byPath, categoryOfPath, readLines, runInfer, SIZE, useInferWorld } from './infer-helpers.js';
import { useTempDir } from '../../helpers/temp-dir.js';

describe('infer service', () => {
  const tmp = useTempDir('madenet-infer-');
  const w = useInferWorld(tmp);

  it('routes confidently classified images to the chosen submodel and writes the documented lines, maps and overlays', async () => {
    const out = tmp.next('out');
    const before = tf.memory().numTensors;
    loadCounts.clear();
    // Given a map whose classifier is sure and whose chosen submodel is srad for both categories,
    const r = await runInfer({ perfmap: w.sure, input: w.glob, out, saveMaps: true, saveOverlays: true });
    // Then every test image has one line, routed 'confident' to srad of its own category,
    const lines = await readLines(out);
    expect(lines).toHaveLength(w.images);
    expect(r.images).toEqual({ seen: w.images, alreadyDone: 0, duplicates: 0, predicted: w.images, skipped: 0 });
    expect(r.routes).toEqual({ confident: w.images, 'low-confidence-fallback': 0, 'no-classifier': 0, 'forced-category': 0 });
    const { perfmap } = await loadPerfMap(w.sure);
    for (const l of lines) {
      const cat = categoryOfPath(l.path);
      const cand = perfmap.categories[cat]?.candidates[0];
      expect(l).toMatchObject({ category: cat, model: 'srad', route: { reason: 'confident', minConfidence: 0.85 }, threshold: cand?.threshold.threshold });
      expect(l.classifier?.category).toBe(cat);
      expect(l.classifier?.confidence).toBeGreaterThanOrEqual(0.85);
      expect(l.label).toBe(l.score >= l.threshold ? 1 : 0);
      expect(l.artifact).toEqual({ kind: 'srad', category: cat, version: cand?.artifact.version, dir: cand?.artifact.dir });
      // with a [S,S] float32 map, a binary mask and a labelled overlay, each where the image sits in the input tree,
      const rel = relative(w.data, l.path).replace(/\.png$/, '');
      expect([l.map, l.mask, l.overlay]).toEqual([`maps/${rel}.npy`, `masks/${rel}_mask.png`, `overlays/${rel}.png`]);
      const map = await readNpy(join(out, l.map as string));
      expect(map.shape).toEqual([SIZE, SIZE]);
      expect(Math.max(...map.data)).toBeCloseTo(l.score, 5);
      expect(await sharp(join(out, l.mask as string)).metadata()).toMatchObject({ width: SIZE, height: SIZE, channels: 1, format: 'png' });
      const mask = await sharp(join(out, l.mask as string)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      const cut = cand?.maskThreshold as number;
      expect([...mask.data].every((v, i) => v === ((map.data[i] as number) >= cut ? 255 : 0))).toBe(true);
      // (the overlay is enlarged to 256 px wide, with the colour scale and verdict in a band under the picture)
      const overlay = await sharp(join(out, l.overlay as string)).metadata();
      expect(overlay).toMatchObject({ width: SIZE * Math.ceil(256 / SIZE), format: 'png' });
      expect(overlay.height).toBeGreaterThan(overlay.width as number);
    }
    // the red-disc defects are flagged and the anomalies counted,
    const defects = lines.filter((l) => !l.path.includes('/good/'));
    expect(defects.every((l) => l.label === 1)).toBe(true);
    expect(r.anomalies).toBe(lines.filter((l) => l.label === 1).length);
    expect(defects.some((l) => l.mask !== null)).toBe(true);
    // predictions.csv holds the same lines as a table,
    const csv = (await readFile(join(out, 'predictions.csv'), 'utf8')).trimEnd().split('\r\n');
    expect(csv[0]).toBe(CSV_COLUMNS.join(','));
    expect(csv).toHaveLength(1 + w.images);
    expect(r.total).toEqual({ predictions: w.images, anomalies: r.anomalies });
    // each submodel was loaded once, the stage times add up, no tensor is left,
    expect([...loadCounts.values()]).toEqual([1, 1]);
    expect(r.timing.imagesPerSecond).toBeGreaterThan(0);
    expect(r.timing.stages.classify).toBeGreaterThan(0);
    expect(r.timing.stages.score).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
    // the lock is released, infer.json says the run finished,
    expect(await readdir(out)).not.toContain('.lock');
    expect(JSON.parse(await readFile(join(out, 'infer.json'), 'utf8'))).toMatchObject({ complete: true, predictions: w.images, shard: null });
    // and evaluate reads the directory as it is: a perfect image AUROC on these defects.
    const ev = await evaluate({ predictions: out, data: w.data, out: join(out, 'evaluation') });
    expect(ev.metrics.rows.filter((row) => row.defectType === 'all').map((row) => row.imageAuroc)).toEqual([1, 1]);
  });

  it('falls back to sfad when the classifier is unsure, and trusts it again with a lower --min-confidence', async () => {
    const out = tmp.next('out');
    const r = await runInfer({ perfmap: w.unsure, input: w.glob, out });
    const lines = await readLines(out);
    expect(r.routes['low-confidence-fallback']).toBe(w.images);
    for (const l of lines) {
      expect(l.classifier?.confidence).toBeLessThan(0.85);
      expect(l).toMatchObject({ model: 'sfad', map: null, route: { reason: 'low-confidence-fallback', chosen: 'srad', minConfidence: 0.85 } });
      expect(l.artifact.kind).toBe('sfad');
    }
    const low = await runInfer({ perfmap: w.unsure, input: w.glob, out: tmp.next('out'), minConfidence: 0.3 });
    expect(low.routes.confident).toBe(w.images);
    expect(low.models).toEqual({ srad: w.images, sfad: 0, lpd: 0, patchcore: 0 });
  });

  it('handles unknown categories: refused up front for --assume-category, per image (or skipped) otherwise', async () => {
    await expect(runInfer({ perfmap: w.sure, input: w.glob, out: tmp.next('out'), category: 'gamma' })).rejects.toMatchObject({
      code: 'E_CATEGORY',
      message: expect.stringContaining('--assume-category gamma is not in the performance map'),
    });
    // The classifier's "zeta" (what it calls beta images) has no model: fatal by default...
    await expect(runInfer({ perfmap: w.stranger, input: w.glob, out: tmp.next('out') })).rejects.toMatchObject({
      code: 'E_CATEGORY',
      message: expect.stringContaining('Category zeta (from the classifier'),
    });
    // ... and skipped, each one listed, with --skip-bad-images, the alpha images still predicted.
    const skipped: string[] = [];
    const r = await runInfer({ perfmap: w.stranger, input: w.glob, out: tmp.next('out'), skipBadImages: true, onSkip: (p) => skipped.push(p) });
    expect(r.images).toMatchObject({ predicted: 7, skipped: 7 });
    expect(skipped.every((p) => categoryOfPath(p) === 'beta')).toBe(true);
    expect(r.skipped[0]).toMatchObject({ code: 'E_CATEGORY' });
    // A map without classifier needs a category for more than one category.
    await expect(runInfer({ perfmap: w.none, input: w.glob, out: tmp.next('out') })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('has no classifier and 2 categories') });
    const forced = await runInfer({ perfmap: w.none, input: w.glob, out: tmp.next('out'), category: 'alpha' });
    expect(forced.routes['forced-category']).toBe(w.images);
  });

  it('reads a list on stdin lazily: paths as given, optional TAB category, comments and blank lines skipped', async () => {
    const files = await listImages(join(w.data, 'beta', 'test'));
    const rel = files.map((f) => relative(w.data, f));
    const text = ['# new images', `${rel[0]}\tbeta`, '', `${rel[1]}`, `${rel[2]}\talpha`, `${rel[1]}`, 'missing.png\tbeta'].join('\n');
    const out = tmp.next('out');
    // With the sure classifier, a line category wins over it; a duplicate line is ignored; a missing file is skipped.
    const r = await runInfer({ perfmap: w.sure, input: '-', stdin: Readable.from([text]), cwd: w.data, out, skipBadImages: true });
    const lines = await readLines(out);
    expect(lines.map((l) => l.path).sort()).toEqual([rel[0], rel[1], rel[2]].sort());
    const get = (p: string | undefined): Record<string, unknown> | undefined => lines.find((l) => l.path === p) as unknown as Record<string, unknown>;
    expect(get(rel[0])).toMatchObject({ category: 'beta', classifier: null, route: { reason: 'forced-category', from: 'line' } });
    expect(get(rel[1])).toMatchObject({ category: 'beta', route: { reason: 'confident' } });
    expect(get(rel[2])).toMatchObject({ category: 'alpha', route: { reason: 'forced-category', from: 'line' } });
    expect(r.images).toEqual({ seen: 5, alreadyDone: 0, duplicates: 1, predicted: 3, skipped: 1 });
    expect(r.skipped).toEqual([expect.objectContaining({ path: 'missing.png', code: 'E_NOT_FOUND' })]);
    // An empty list is a quiet day, not an error.
    const empty = await runInfer({ perfmap: w.sure, input: '-', stdin: Readable.from(['']), out: tmp.next('out') });
    expect(empty.images.predicted).toBe(0);
  });

  it('resumes after a kill mid-write: the torn line is cut, done images skipped, exactly one line per image', async () => {
    const out = tmp.next('out');
    await runInfer({ perfmap: w.sure, input: w.glob, out, saveMaps: true });
    const full = byPath(await readLines(out));
    // Simulate a kill: keep 9 whole lines and half of the 10th.
    const text = await readFile(join(out, 'predictions.jsonl'), 'utf8');
    const keep = text.split('\n').slice(0, 9).join('\n') + '\n';
    const torn = text.split('\n')[9]?.slice(0, 40) as string;
    await writeFile(join(out, 'predictions.jsonl'), keep + torn);
    // A plain rerun refuses to overwrite;
    await expect(runInfer({ perfmap: w.sure, input: w.glob, out })).rejects.toMatchObject({ code: 'E_EXISTS' });
    // --resume with another perfmap is refused too;
    await expect(runInfer({ perfmap: w.unsure, input: w.glob, out, resume: true })).rejects.toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('--resume expected the same') });
    // --resume finishes the job.
    const r = await runInfer({ perfmap: w.sure, input: w.glob, out, resume: true, saveMaps: true });
    expect(r.cutTornBytes).toBe(Buffer.byteLength(torn));
    expect(r.images).toMatchObject({ alreadyDone: 9, predicted: w.images - 9 });
    // The totals count the earlier run's lines too, and predictions.csv holds them all.
    expect(r.total).toEqual({ predictions: w.images, anomalies: full.filter((l) => l.label === 1).length });
    expect((await readFile(join(out, 'predictions.csv'), 'utf8')).trimEnd().split('\r\n')).toHaveLength(1 + w.images);
    const after = byPath(await readLines(out));
    expect(after.map((l) => l.path)).toEqual(full.map((l) => l.path));
    expect(after).toEqual(full);
    // Resuming a finished run does nothing.
    const again = await runInfer({ perfmap: w.sure, input: w.glob, out, resume: true, saveMaps: true });
    expect(again.images).toMatchObject({ alreadyDone: w.images, predicted: 0 });
    expect(await readLines(out)).toHaveLength(w.images);
  });

  it('refuses to run while another process holds the output directory', async () => {
    const out = tmp.next('out');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(out, { recursive: true });
    const release = await acquireLock(out);
    try {
      await expect(runInfer({ perfmap: w.sure, input: w.glob, out })).rejects.toMatchObject({ code: 'E_LOCKED', message: expect.stringContaining(`pid ${process.pid}`) });
      expect(await stat(join(out, 'predictions.jsonl')).catch(() => null)).toBeNull();
    } finally {
      await release();
    }
    await runInfer({ perfmap: w.sure, input: w.glob, out });
    expect(await readLines(out)).toHaveLength(w.images);
  });

  it('stops reading input when aborted, writes what it started, and can be resumed', async () => {
    const out = tmp.next('out');
    const ac = new AbortController();
    const err = await runInfer({ perfmap: w.sure, input: w.glob, out, batchSize: 2, onProgress: (done) => done >= 2 && ac.abort(), signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_INTERRUPTED', exit: 130 });
    const partial = await readLines(out);
    expect(partial.length).toBeGreaterThanOrEqual(2);
    expect(partial.length).toBeLessThan(w.images);
    expect(JSON.parse(await readFile(join(out, 'infer.json'), 'utf8'))).toMatchObject({ complete: false });
    await runInfer({ perfmap: w.sure, input: w.glob, out, resume: true });
    expect(new Set((await readLines(out)).map((l) => l.path)).size).toBe(w.images);
    expect(await readLines(out)).toHaveLength(w.images);
  });

  it('finds the submodels of a copied artifact root, and refuses a submodel whose version changed', async () => {
    // Given the whole artifact root copied elsewhere and the original moved away,
    const copy = join(tmp.path, 'copied-artifacts');
    await cp(w.art, copy, { recursive: true });
    const moved = `${w.art}-moved`;
    await rename(w.art, moved);
    try {
      const perfmap = join(copy, relative(w.art, w.sure));
      const r = await runInfer({ perfmap, input: w.glob, out: tmp.next('out') });
      // then the copies are used (found relative to the perfmap),
      expect(r.images.predicted).toBe(w.images);
      // but a submodel whose manifest differs from the one the map pinned is refused, naming it.
      const manifest = join(copy, 'srad', 'alpha', 'v0001', 'manifest.json');
      const m = JSON.parse(await readFile(manifest, 'utf8'));
      await writeFile(manifest, JSON.stringify({ ...m, created: '2000-01-01T00:00:00.000Z' }, null, 2));
      await expect(runInfer({ perfmap, input: w.glob, out: tmp.next('out') })).rejects.toMatchObject({
        code: 'E_PERFMAP',
        message: expect.stringContaining(`The srad artifact alpha v0001 at ${join(copy, 'srad', 'alpha', 'v0001')} is not the version the perfmap`),
      });
    } finally {
      await rename(moved, w.art);
    }
  });

  it('writes predictions the shared reader accepts', async () => {
    const out = tmp.next('out');
    await runInfer({ perfmap: w.none, input: w.glob, out, category: 'beta', saveMaps: true });
    const read = [];
    for await (const p of readPredictions(out)) read.push(p);
    expect(read).toHaveLength(w.images);
    expect(read.every((p) => p.category === 'beta' && p.model === 'srad' && p.map?.startsWith('maps/'))).toBe(true);
  });
});
