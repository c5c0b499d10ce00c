// renderMarkdown on a hand-made BenchResults: one table per category with a row per submodel and the routed
// row, n/a for missing metrics, the references marked not comparable, the smoke banner only for smoke runs.
import { renderMarkdown, fmt } from '../../bench/real/render.js';
import { BENCH_REAL_SCHEMA, type BenchResults, type CategoryResult, type SubmodelRow } from '../../bench/real/results.js';

function row(id: SubmodelRow['id'], imageAuroc: number | null, over: Partial<SubmodelRow> = {}): SubmodelRow {
  return {
    id,
    kind: id.startsWith('sfad') ? 'sfad' : (id as 'srad' | 'lpd' | 'patchcore'),
    preset: 'small',
    imageSize: 128,
    backbone: 'random',
    epochs: 4,
    bestEpoch: 3,
    plannedSeconds: 200,
    trainSeconds: 212.4,
    epochSeconds: [50, 50, 50, 50],
    trainImages: 40,
    validationObjective: 0.7,
    inferImagesPerSecond: 2.345,
    imageAuroc,
    pixelAuroc: 0.8766,
    pixelAp: 0.1234,
    aupro: 0.4321,
    artifact: `/tmp/a/${id}`,
    ...over,
  };
}

function category(name: string, over: Partial<CategoryResult> = {}): CategoryResult {
  return {
    name,
    dir: `mvtec_ad_reduced/${name}`,
    trainNormals: 50,
    trainDefects: 0,
    testNormals: 2,
    testDefects: 8,
    resolution: '256x256',
    validation: { source: 'synthetic', normals: 10, defects: 20 },
    finetune: 'n/a: no defective train images',
    budgetSeconds: 600,
    trainSeconds: 590,
    submodels: [row('srad', 0.5), row('lpd', 0.9127), row('sfad-lpd', null)],
    routed: { chosen: 'lpd', margin: 0.05, imageAuroc: 0.9127, pixelAuroc: 0.9, pixelAp: 0.3, aupro: 0.5, scoredBy: { lpd: 9, sfad: 1 }, misrouted: 1 },
    ...over,
  };
}

function results(mode: 'full' | 'smoke'): BenchResults {
  return {
    schema: BENCH_REAL_SCHEMA,
    mode,
    date: '2026-01-02T03:04:05.000Z',
    commit: 'abc123',
    dirty: false,
    machine: { cpu: 'Test CPU', cores: 2, memoryGb: 8, node: 'v20.0.0', backend: 'wasm', threads: 1, simd: true },
    dataRoot: '/data',
    out: '/tmp/run',
    seed: 42,
    imageSize: 128,
    budgetMinutesPerCategory: 10,
    presets: { srad: 'small', lpd: 'small', sfad: 'small', classifier: 'tiny' },
    settings: {},
    classifier: { preset: 'tiny', imageSize: 64, epochs: 30, seconds: 40, validationAccuracy: 1, artifact: '/tmp/run/cls' },
    perfmap: { artifact: '/tmp/run/perfmap', lambda: 0.5, seconds: 30 },
    routedInfer: { images: 117, imagesPerSecond: 5.5, seconds: 21.3, routes: { confident: 110, 'low-confidence-fallback': 7, 'no-classifier': 0 } },
    categories: [category('transistor'), category('metal_plate', { dir: 'mpdd/metal_plate', testNormals: 26, testDefects: 71, resolution: '512x512' })],
    routedMean: { imageAuroc: 0.8, pixelAuroc: 0.85, pixelAp: 0.2, aupro: null },
    commands: ['npm run bench:real -- --budget-minutes 10'],
    warnings: ['something to know'],
    totalSeconds: 2100,
  };
}

describe('renderMarkdown', () => {
  it('writes one table per category with every submodel, the routed row and formatted numbers', () => {
    const md = renderMarkdown(results('full'));
    const lines = md.split('\n');
    expect(lines.filter((l) => l.startsWith('| submodel | preset | epochs | image AUROC | pixel AUROC | Pixel-AP | AUPRO | training | training images/s | inference (images/s) |'))).toHaveLength(2);
    expect(md).toContain('### transistor (`mvtec_ad_reduced/transistor`)');
    expect(md).toContain('### metal_plate (`mpdd/metal_plate`)');
    expect(lines).toContain('| SRAD | small, 128 px | 4 (best 3) | 0.500 | 0.877 | 0.123 | 0.432 | 212 s (3.5 min) | 0.8 | 2.3 |');
    expect(lines).toContain('| LPD | small, 128 px | 4 (best 3) | 0.913 | 0.877 | 0.123 | 0.432 | 212 s (3.5 min) | 0.8 | 2.3 |');
    // A metric that could not be measured is n/a, not 0
    expect(lines).toContain('| SFAD (LPD backbone) | small, 128 px | 4 (best 3) | n/a | 0.877 | 0.123 | 0.432 | 212 s (3.5 min) | 0.8 | 2.3 |');
    expect(md).toContain('| **routed** -> lpd, margin 0.050 (scored by lpd 9, sfad 1; 1 misrouted) | | | 0.913 | 0.900 | 0.300 | 0.500 | | | 5.5 (all categories) |');
    expect(md).toContain('Fine-tuning: n/a: no defective train images.');
    expect(md).toContain('test split 97 images (26 normal, 71 defective); native 512x512, scored at 128 px');
    expect(md).toContain('| mean | | 0.800 | 0.850 | 0.200 | n/a |');
    expect(md).toContain('- Training budget 600 s (10.0 min); training took 590 s (9.8 min).');
    const fixed = results('full');
    fixed.settings = { epochsOverride: { srad: 1, lpd: 2 } };
    expect(renderMarkdown(fixed)).toContain('- Training: fixed epochs (`--epochs srad=1,lpd=2`, not the budget); training took 590 s (9.8 min).');
  });

  it('adds PatchCore with its backbone source, the best single submodel and the issue targets, met or short by how much', () => {
    const r = results('full');
    r.trainingLimitMinutes = 30;
    const pc = row('patchcore', 0.93, { preset: 'defaults', imageSize: 256, backbone: 'npm:nsfwjs/mobilenet_v2', backboneSource: 'nsfwjs 4.4.0, MIT', epochs: 0, bestEpoch: null, trainSeconds: 100, trainImagesPerSecond: 2.13 });
    r.categories = [
      category('transistor', { dir: 'mvtec_ad/transistor', submodels: [row('lpd', 0.9), pc], patchcorePlannedSeconds: 240, trainSeconds: 1900 }),
      category('metal_plate', { dir: 'mpdd/metal_plate', routed: { chosen: 'patchcore', margin: 0.1, imageAuroc: 0.97, pixelAuroc: 0.9, pixelAp: 0.3, aupro: 0.5, scoredBy: { patchcore: 97 }, misrouted: 0 } }),
    ];
    const md = renderMarkdown(r);
    const lines = md.split('\n');
    expect(lines).toContain('| PatchCore | defaults, 256 px | none (memory bank) | 0.930 | 0.877 | 0.123 | 0.432 | 100 s | 2.1 | 2.3 |');
    expect(md).toContain('- PatchCore backbone: `npm:nsfwjs/mobilenet_v2` (nsfwjs 4.4.0, MIT).');
    expect(md).toContain('for SRAD, LPD and SFAD, PatchCore planned ~240 s (4.0 min) on top');
    // transistor: routed 0.913 (category default) against 0.95 and the best single PatchCore 0.930
    expect(md).toContain('routed image AUROC >= 0.95: **not met: 0.913, short by 0.037**; pixel AUROC >= 0.95: **not met: 0.900, short by 0.050**.');
    expect(md).toContain('- transistor: routed 0.913 < best single PatchCore 0.930: **not met, short by 0.017**.');
    expect(md).toContain('- metal_plate (`mpdd/metal_plate`) routed image AUROC >= 0.95: met (0.970 >= 0.95).');
    expect(md).toContain('- metal_plate: routed 0.970 >= best single LPD 0.913: met.');
    expect(md).toContain('| transistor | lpd | 0.913 | 0.900 | 0.300 | 0.500 | PatchCore 0.930 |');
    expect(md).toContain('- transistor: training 1900 s (31.7 min) (wall; CPU not measured) **over the 30 min limit by 100 s**.');
    expect(md).toContain('- metal_plate: training 590 s (9.8 min) (wall; CPU not measured) within the 30 min limit.');
    // With CPU seconds on every row the limit is checked on them (the wall time of a loaded machine is shown beside).
    r.categories[0]?.submodels.forEach((s) => (s.trainCpuSeconds = 700));
    const cpu = renderMarkdown(r);
    expect(cpu).toContain('- transistor: training CPU 1400 s (23.3 min) (wall 1900 s (31.7 min)) within the 30 min limit.');
    expect(cpu).toContain('| PatchCore | defaults, 256 px | none (memory bank) | 0.930 | 0.877 | 0.123 | 0.432 | 100 s, CPU 700 s (11.7 min) | 2.1 | 2.3 |');
  });

  it('names the low-confidence fallback and why: SFAD in older runs, the validation choice with its ranking, none without a classifier', () => {
    const r = results('full');
    expect(renderMarkdown(r)).toContain("(images under the classifier's 0.85 confidence go to the SFAD fallback)");
    r.perfmap = { ...r.perfmap, fallback: 'patchcore', fallbackRule: 'validation', fallbackRanking: [{ kind: 'patchcore', meanObjective: 0.7 }, { kind: 'sfad', meanObjective: 0.65 }] };
    expect(renderMarkdown(r)).toContain('go to the patchcore fallback, the kind with the best mean validation objective over the categories: patchcore 0.700, sfad 0.650)');
    r.perfmap = { ...r.perfmap, fallback: 'lpd', fallbackRule: 'lpd' };
    expect(renderMarkdown(r)).toContain('go to the lpd fallback, fixed by --fallback)');
    r.perfmap = { ...r.perfmap, fallback: null };
    expect(renderMarkdown(r)).toContain('go to the fallback; none here: no classifier)');
  });

  it('labels the published references as not comparable and states the setting', () => {
    const md = renderMarkdown(results('full'));
    expect(md).toContain('## Published reference points (not comparable like-for-like)');
    expect(md).toContain('| DRAEM | 98.1 | 97.5 |');
    expect(md).toContain('| PatchCore | 99.2 | 98.1 |');
    expect(md).toContain('| madenet, this run (routed mean) | 80.0 | 85.0 |');
    expect(md).toContain('transistor 10 (2 normal + 8 defective), metal_plate 97 (26 normal + 71 defective)');
    expect(md).toContain('commit `abc123`');
    expect(md).toContain('npm run bench:real -- --budget-minutes 10');
    expect(md).toContain('- something to know');
    expect(md).not.toContain('SMOKE RUN');
  });

  it('marks a smoke run as such', () => {
    const md = renderMarkdown(results('smoke'));
    expect(md).toContain('**SMOKE RUN**');
    expect(md).toContain('Tiny presets');
    expect(md).toContain('- Training budget: none (smoke: one epoch each)');
  });

  it('formats missing and non-finite values as n/a', () => {
    expect(fmt(null)).toBe('n/a');
    expect(fmt(Number.NaN)).toBe('n/a');
    expect(fmt(0)).toBe('0.000');
    expect(fmt(0.98765, 2)).toBe('0.99');
  });
});
