import { choose, objectiveOf } from '../../../src/pipeline/perfmap/choose.js';

describe('perfmap choice', () => {
  it('weighs image AUROC against Pixel-AP with lambda and picks the argmax with its margin', () => {
    // Given srad (0.9, 0.5), sfad (0.8, 0.7), lpd (0.95, 0.2),
    const c = [
      { imageAuroc: 0.9, pixelAp: 0.5 },
      { imageAuroc: 0.8, pixelAp: 0.7 },
      { imageAuroc: 0.95, pixelAp: 0.2 },
    ];
    // When lambda = 0.5 the objectives are 0.7, 0.75, 0.575: sfad wins by 0.05;
    const half = choose(c, 0.5);
    expect(half.ranking).toEqual([1, 0, 2]);
    expect(half.objectives[1]).toBeCloseTo(0.75, 12);
    expect(half.margin).toBeCloseTo(0.05, 12);
    expect(half.tie).toBe(false);
    // when lambda = 1 only AUROC counts (lpd), when lambda = 0 only Pixel-AP (sfad).
    expect(choose(c, 1).ranking[0]).toBe(2);
    expect(choose(c, 0).ranking[0]).toBe(1);
  });

  it('breaks an exact tie by image AUROC, then by the order the models were given', () => {
    // Given two candidates with objective 0.7 at lambda 0.5 but different AUROC,
    const byAuroc = choose([{ imageAuroc: 0.6, pixelAp: 0.8 }, { imageAuroc: 0.8, pixelAp: 0.6 }], 0.5);
    // then the higher AUROC wins, the margin is 0 and the tie is reported;
    expect(byAuroc.ranking).toEqual([1, 0]);
    expect(byAuroc).toMatchObject({ margin: 0, tie: true });
    // and with identical metrics the first given wins, whichever way round.
    const same = { imageAuroc: 0.75, pixelAp: 0.5 };
    expect(choose([same, { ...same }, { imageAuroc: 0.1, pixelAp: 0.1 }], 0.5).ranking).toEqual([0, 1, 2]);
    expect(choose([{ imageAuroc: 0.1, pixelAp: 0.1 }, same, { ...same }], 0.5).ranking).toEqual([1, 2, 0]);
  });

  it('uses AUROC alone without Pixel-AP, leaves out candidates without AUROC, and has no margin for one', () => {
    expect(objectiveOf({ imageAuroc: 0.8, pixelAp: null }, 0.3)).toBe(0.8);
    expect(objectiveOf({ imageAuroc: null, pixelAp: 0.9 }, 0.3)).toBeNull();
    const r = choose([{ imageAuroc: null, pixelAp: 0.9 }, { imageAuroc: 0.7, pixelAp: 0.1 }], 0.5);
    expect(r.ranking).toEqual([1]);
    expect(r.margin).toBeNull();
    expect(choose([{ imageAuroc: null, pixelAp: null }], 0.5).ranking).toEqual([]);
  });

  it('refuses lambda outside [0, 1]', () => {
    expect(() => choose([], 1.5)).toThrow(expect.objectContaining({ code: 'E_USAGE', message: expect.stringContaining('--lambda is 1.5') }));
    expect(() => choose([], Number.NaN)).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });
});

describe('scoreScaleOf', () => {
  it('is the mean and sample standard deviation of the normal scores, null when it cannot scale', async () => {
    const { scoreScaleOf } = await import('../../../src/pipeline/perfmap/evaluate-candidates.js');
    const s = scoreScaleOf([1, 2, 3, 4]);
    expect(s?.center).toBeCloseTo(2.5, 12);
    expect(s?.spread).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(scoreScaleOf([7])).toBeNull();
    expect(scoreScaleOf([2, 2, 2])).toBeNull();
  });
});
