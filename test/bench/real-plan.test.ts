// The budget -> epochs plan, the hold-out count it plans with, the --epochs parser and the routed summary per
// true category: pure functions, checked against hand-computed numbers.
import { routingByCategory } from '../../bench/real/routing.js';
import { parseBenchArgs, parseEpochs } from '../../bench/real/options.js';
import { patchcorePlannedSeconds, planCategory, SMALL_SETTINGS, trainImagesAfterHoldOut, type RunCost } from '../../bench/real/plan.js';
import type { SubmodelRunId } from '../../bench/real/results.js';

const COSTS: Record<SubmodelRunId, RunCost> = {
  srad: { setupSeconds: 10, secondsPerImageEpoch: 1 },
  lpd: { setupSeconds: 10, secondsPerImageEpoch: 0.5 },
  'sfad-lpd': { setupSeconds: 20, secondsPerImageEpoch: 0.05 },
  'sfad-random': { setupSeconds: 20, secondsPerImageEpoch: 0.05 },
};

describe('planCategory', () => {
  it('splits the budget into epochs, caps them at the preset and gives SRAD what is left', () => {
    // 600 s, 40 images. LPD: share 210 s -> (210-10)/20 = 10 epochs = 210 s. SFAD: share 120 s -> (120-20)/2 = 50,
    // capped at the preset's 40 -> 20 + 40*2 = 100 s. SRAD: 600-210-100 = 290 s -> (290-10)/40 = 7 epochs = 290 s.
    const plan = planCategory({ budgetSeconds: 600, trainImages: 40, sfadRandom: false, settings: SMALL_SETTINGS, costs: COSTS });
    expect(plan.map((p) => [p.id, p.epochs, p.plannedSeconds])).toEqual([
      ['srad', 7, 290],
      ['lpd', 10, 210],
      ['sfad-lpd', 40, 100],
    ]);
    expect(plan.reduce((a, p) => a + p.plannedSeconds, 0)).toBeLessThanOrEqual(600);
  });

  it('adds the random-backbone SFAD run from the same budget when asked', () => {
    const plan = planCategory({ budgetSeconds: 600, trainImages: 40, sfadRandom: true, settings: SMALL_SETTINGS, costs: COSTS });
    expect(plan.map((p) => p.id)).toEqual(['srad', 'lpd', 'sfad-lpd', 'sfad-random']);
    // sfad-random share 60 s -> (60-20)/2 = 20 epochs
    expect(plan.find((p) => p.id === 'sfad-random')?.epochs).toBe(20);
    expect(plan.reduce((a, p) => a + p.plannedSeconds, 0)).toBeLessThanOrEqual(600);
  });

  it('trains at least one epoch on a budget too small for one, and honours fixed epochs', () => {
    const tiny = planCategory({ budgetSeconds: 10, trainImages: 40, sfadRandom: false, settings: SMALL_SETTINGS, costs: COSTS });
    expect(tiny.map((p) => p.epochs)).toEqual([1, 1, 1]);
    const fixed = planCategory({ budgetSeconds: 600, trainImages: 40, sfadRandom: true, settings: SMALL_SETTINGS, costs: COSTS, epochs: { srad: 2, sfad: 5 } });
    expect(fixed.map((p) => p.epochs)).toEqual([2, 9, 5, 5]);
  });
});

describe('trainImagesAfterHoldOut', () => {
  it('leaves what build-perfmap does not hold out (20%, at least 1, at most 64)', () => {
    expect(trainImagesAfterHoldOut(50)).toBe(40);
    expect(trainImagesAfterHoldOut(54)).toBe(43);
    expect(trainImagesAfterHoldOut(1)).toBe(1);
    expect(trainImagesAfterHoldOut(1000)).toBe(936);
  });
});

describe('parseEpochs', () => {
  it('reads kind=N pairs and refuses anything else', () => {
    expect(parseEpochs('srad=4, lpd=10,sfad=40')).toEqual({ srad: 4, lpd: 10, sfad: 40 });
    expect(parseEpochs(undefined)).toEqual({});
    expect(() => parseEpochs('srad=0')).toThrow(/--epochs srad/);
    expect(() => parseEpochs('patchcore=3')).toThrow(/expected srad=N/);
  });
});

describe('patchcorePlannedSeconds', () => {
  it('is setup + seconds per train normal, every train normal counted (held-out ones are extracted too)', () => {
    expect(patchcorePlannedSeconds(213, { setupSeconds: 10, secondsPerImageEpoch: 1.1 })).toBeCloseTo(244.3, 9);
    expect(patchcorePlannedSeconds(54, { setupSeconds: 5, secondsPerImageEpoch: 0.5 })).toBe(32);
  });
});

describe('parseBenchArgs: PatchCore, fallback and reroute flags', () => {
  it('defaults to PatchCore on, the validation fallback, a 30 min limit; refuses an unknown fallback', () => {
    const d = parseBenchArgs([], {});
    expect(d).toMatchObject({ skipPatchcore: false, fallback: 'validation', limitMinutes: 30, reroute: null });
    const o = parseBenchArgs(['--skip-patchcore', '--fallback', 'lpd', '--limit-minutes', '20', '--reroute', '/tmp/x/real.json'], {});
    expect(o).toMatchObject({ skipPatchcore: true, fallback: 'lpd', limitMinutes: 20, reroute: '/tmp/x/real.json' });
    expect(() => parseBenchArgs(['--fallback', 'best'], {})).toThrow(/--fallback is "best"; expected validation or one of srad, sfad, lpd, patchcore/);
  });
});

describe('parseBenchArgs: the pre-classifier', () => {
  it('defaults to the packaged MobileNetV2 body (small head, 128 px, 6 epochs, lr 3e-4); random keeps the tiny 64 px / 40 epoch run', () => {
    expect(parseBenchArgs([], {})).toMatchObject({ classifierBackbone: 'npm:nsfwjs/mobilenet_v2', classifierPreset: 'small', classifierImageSize: 128, classifierEpochs: 6, classifierLr: 3e-4 });
    expect(parseBenchArgs(['--classifier-backbone', 'random'], {})).toMatchObject({ classifierPreset: 'tiny', classifierImageSize: 64, classifierEpochs: 40, classifierLr: 3e-3 });
    expect(parseBenchArgs(['--classifier-backbone', 'random', '--classifier-preset', 'small'], {})).toMatchObject({ classifierImageSize: 128, classifierEpochs: 10 });
    expect(() => parseBenchArgs(['--classifier-preset', 'paper'], {})).toThrow(/--classifier-preset is paper; expected tiny or small/);
  });
});

describe('routingByCategory', () => {
  it('counts per true category which submodel scored its images and how many were routed elsewhere', () => {
    const tests = [
      { path: '/d/a/1.png', category: 'a' },
      { path: '/d/a/2.png', category: 'a' },
      { path: '/d/b/1.png', category: 'b' },
    ];
    const predictions = [
      { path: '/d/a/1.png', category: 'a', model: 'lpd' as const },
      { path: '/d/a/2.png', category: 'b', model: 'sfad' as const },
      { path: '/d/b/1.png', category: 'b', model: 'sfad' as const },
      { path: '/elsewhere.png', category: 'a', model: 'srad' as const },
    ];
    expect(routingByCategory(predictions, tests)).toEqual({
      a: { scoredBy: { lpd: 1, sfad: 1 }, misrouted: 1 },
      b: { scoredBy: { sfad: 1 }, misrouted: 0 },
    });
  });
});
