// Benchmark (runs only with MADENET_BENCH=1): infer throughput with the decode/classify/score split, and
// resident memory over 10,000 demo images (MADENET_BENCH_IMAGES), which must stay flat. By default the
// submodels are the tiny mean-diff test detectors, so the figures measure the pipeline itself; set
// MADENET_BENCH_PERFMAP to a perfmap built from real (e.g. small-preset) artifacts to time the real models.
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { generateDemoDataset } from '../../../src/pipeline/demo-data/index.js';
import { listImages } from '../../../src/pipeline/io/glob.js';
import { initRuntime, type BackendRequest } from '../../../src/pipeline/runtime/backend.js';
import { buildPerfmap } from '../../../src/pipeline/services/build-perfmap.js';
import { infer } from '../../../src/pipeline/services/infer.js';
import { loadTestClassifier, loadTestDetector, writeTestClassifier, writeTestDetector } from './fixtures.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const enabled = process.env.MADENET_BENCH === '1';
const IMAGES = Number(process.env.MADENET_BENCH_IMAGES ?? 10_000);
const SIZE = Number(process.env.MADENET_BENCH_SIZE ?? 64);
const BACKEND = (process.env.MADENET_BACKEND ?? 'wasm') as BackendRequest;
const THREADS = Number(process.env.MADENET_THREADS ?? 1);
const CATEGORIES = ['BGA', 'QFN'];

(enabled ? describe : describe.skip)('infer benchmark', () => {
  const tmp = useTempDir('madenet-infer-bench-');
  beforeAll(async () => {
    await initRuntime({ backend: BACKEND, threads: THREADS });
  });

  it(`keeps memory flat over ${IMAGES} images and reports throughput per stage`, async () => {
    const data = join(tmp.path, 'data');
    await generateDemoDataset({ out: data, size: SIZE, categories: CATEGORIES, perCategory: 12, testPerCategory: 16, defectsPerCategory: 0, testDefectsPerCategory: 16, seed: 1 });
    const real = process.env.MADENET_BENCH_PERFMAP;
    let perfmap = real;
    const loaders = real ? {} : { loadDetector: loadTestDetector, loadClassifier: loadTestClassifier };
    if (!perfmap) {
      const art = join(tmp.path, 'artifacts');
      const models: string[] = [];
      for (const c of CATEGORIES) {
        models.push((await writeTestDetector(art, 'srad', c, { data, size: SIZE })).dir);
        models.push((await writeTestDetector(art, 'sfad', c, { data, size: SIZE, mode: 'flat' })).dir);
      }
      const cls = await writeTestClassifier(art, { data, size: 32, temperature: 1e-3, means: Object.fromEntries(CATEGORIES.map((c) => [c, c])) });
      perfmap = (await buildPerfmap({ data, models, classifier: cls.dir, lambda: 0.5, seed: 1, out: art, backend: BACKEND, threads: THREADS, ...loaders })).artifact.dir;
    }
    // IMAGES distinct paths (symlinks) over the demo test images, listed lazily on stdin.
    const sources = (await Promise.all(CATEGORIES.map((c) => listImages(join(data, c, 'test'))))).flat();
    const links = join(tmp.path, 'links');
    await mkdir(links);
    for (let i = 0; i < IMAGES; i++) await symlink(sources[i % sources.length] as string, join(links, `img-${String(i).padStart(6, '0')}.png`));
    const lines = Readable.from((function* () {
      for (let i = 0; i < IMAGES; i++) yield `${join(links, `img-${String(i).padStart(6, '0')}.png`)}\n`;
    })());
    const rss: { images: number; mb: number }[] = [];
    const result = await infer({
      perfmap,
      input: '-',
      stdin: lines,
      out: join(tmp.path, 'out'),
      batchSize: 16,
      backend: BACKEND,
      threads: THREADS,
      ...loaders,
      onProgress: (done) => {
        if (done % 500 === 0) rss.push({ images: done, mb: process.memoryUsage.rss() / 2 ** 20 });
      },
    });
    const report = {
      images: result.images.predicted,
      imageSize: SIZE,
      backend: result.backend,
      models: real ? 'real (MADENET_BENCH_PERFMAP)' : 'mean-diff test detectors + nearest-mean classifier',
      imagesPerSecond: Number(result.timing.imagesPerSecond.toFixed(1)),
      wallSeconds: Number(result.timing.wallSeconds.toFixed(2)),
      stages: Object.fromEntries(Object.entries(result.timing.stages).map(([k, v]) => [k, Number(v.toFixed(2))])),
      rssMb: rss.map((r) => `${r.images}:${r.mb.toFixed(0)}`).join(' '),
      peakRssMb: Number(result.memory.peakRssMb.toFixed(0)),
    };
    process.stdout.write(`infer benchmark ${JSON.stringify(report)}\n`);
    expect(result.images.predicted).toBe(IMAGES);
    // Flat: after warm-up (first 2,000 images), resident memory grows by less than 64 MiB to the end.
    const warm = rss.find((r) => r.images >= Math.min(2000, IMAGES / 5))?.mb as number;
    const last = rss[rss.length - 1]?.mb as number;
    expect(last - warm).toBeLessThan(64);
  }, 1_800_000);
});
