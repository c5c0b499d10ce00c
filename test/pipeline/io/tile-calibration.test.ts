// Per-place tile calibration: pooled and shrunk per-place statistics against hand computation, unseen places on
// the pooled ones, and malformed records refused.
import { checkTileCalibration, PRIOR_WEIGHT, tileCalibration, tileCalibrator } from '../../../src/pipeline/io/tile-calibration.js';

const at = (left: number, top: number) => ({ left, top, width: 16, height: 16 });

describe('tileCalibration', () => {
  it('shrinks each place towards the pooled mean and variance by the prior weight', () => {
    // Place A scores 1 and 3, place B 10 and 10: pooled mean 6, variance (25 + 9 + 16 + 16) / 4 = 16.5.
    const cal = tileCalibration([
      { region: at(0, 0), score: 1 },
      { region: at(0, 0), score: 3 },
      { region: at(8, 0), score: 10 },
      { region: at(8, 0), score: 10 },
    ]);
    expect(cal).not.toBeNull();
    const c = cal!;
    expect(c.mean).toBeCloseTo(6, 10);
    expect(c.std).toBeCloseTo(Math.sqrt(16.5), 10);
    expect(c.prior).toBe(PRIOR_WEIGHT);
    const [a, b] = c.regions;
    const k = PRIOR_WEIGHT;
    const meanA = (2 * 2 + k * 6) / (2 + k);
    expect(a).toMatchObject({ left: 0, top: 0, n: 2 });
    expect(a!.mean).toBeCloseTo(meanA, 10);
    expect(a!.std).toBeCloseTo(Math.sqrt(((1 - meanA) ** 2 + (3 - meanA) ** 2 + k * 16.5) / (2 + k)), 10);
    const meanB = (2 * 10 + k * 6) / (2 + k);
    expect(b!.mean).toBeCloseTo(meanB, 10);
    expect(b!.std).toBeCloseTo(Math.sqrt((2 * (10 - meanB) ** 2 + k * 16.5) / (2 + k)), 10);
  });

  it('ranks a tile by its place: the same raw score is more anomalous where normals score low', () => {
    const scored = [0.9, 1, 1.1, 1].map((s) => ({ region: at(0, 0), score: s })).concat([4.9, 5, 5.1, 5].map((s) => ({ region: at(8, 0), score: s })));
    const f = tileCalibrator(tileCalibration(scored, 0)!);
    expect(f(at(0, 0), 3)).toBeGreaterThan(f(at(8, 0), 6));
    expect(f(at(0, 0), 1)).toBeCloseTo(0, 10);
    // A place never seen (another image size) is standardised by the pooled statistics.
    const c = tileCalibration(scored, 0)!;
    expect(f(at(99, 99), 7)).toBeCloseTo((7 - c.mean) / c.std, 10);
  });

  it('needs two finite scores, and refuses a malformed record read back', () => {
    expect(tileCalibration([{ region: at(0, 0), score: 1 }])).toBeNull();
    expect(tileCalibration([{ region: at(0, 0), score: 1 }, { region: at(0, 0), score: Number.NaN }])).toBeNull();
    const c = tileCalibration([{ region: at(0, 0), score: 1 }, { region: at(0, 0), score: 2 }])!;
    expect(checkTileCalibration(JSON.parse(JSON.stringify(c)), 'm.json')).toEqual(c);
    expect(() => checkTileCalibration({ ...c, std: 0 }, 'm.json')).toThrow(expect.objectContaining({ code: 'E_ARTIFACT' }));
    expect(() => checkTileCalibration({ ...c, regions: [{ left: 0 }] }, 'm.json')).toThrow(/malformed tile calibration/);
  });
});
