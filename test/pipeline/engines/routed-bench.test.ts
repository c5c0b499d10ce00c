// Given per-batch timings of the classifier and the submodels, when the routed benchmark combines them, then
// images/s is 1 / (t_classifier + sum of share x t_submodel) per image, mixes are validated, and engines whose
// outputs failed parity are never called fastest.
import { fastest, parseMix, routedImagesPerSecond, routedTable, type EngineTiming } from '../../../bench/infer/routed.js';

const rows: EngineTiming[] = [
  { model: 'classifier', engine: 'a', batch: 8, wallMs: 16, cpuMs: 8 },
  { model: 'sfad', engine: 'a', batch: 8, wallMs: 40, cpuMs: 40 },
  { model: 'lpd', engine: 'a', batch: 8, wallMs: 80, cpuMs: 80 },
  { model: 'classifier', engine: 'b', batch: 4, wallMs: 4, cpuMs: 4 },
  { model: 'sfad', engine: 'b', batch: 4, wallMs: 4, cpuMs: 4, parityPassed: false },
  { model: 'lpd', engine: 'b', batch: 4, wallMs: 4, cpuMs: 4 },
];

describe('routed benchmark arithmetic', () => {
  it('adds the classifier to the mix of submodels per image', () => {
    // per image: 16/8 + 0.5 * 40/8 + 0.5 * 80/8 = 2 + 2.5 + 5 = 9.5 ms -> 105.26 images/s
    expect(routedImagesPerSecond(rows, 'a', parseMix('sfad:0.5,lpd:0.5'))).toBeCloseTo(1000 / 9.5, 6);
    expect(routedImagesPerSecond(rows, 'a', parseMix('lpd:1'))).toBeCloseTo(1000 / 12, 6);
    // cpu: 1 + 2.5 + 5
    expect(routedImagesPerSecond(rows, 'a', parseMix('sfad:0.5,lpd:0.5'), 'cpuMs')).toBeCloseTo(1000 / 8.5, 6);
    expect(routedImagesPerSecond(rows, 'a', parseMix('srad:1'))).toBeNull();
    expect(routedImagesPerSecond(rows, 'c', parseMix('lpd:1'))).toBeNull();
  });

  it('validates mixes', () => {
    expect(() => parseMix('lpd:0.5')).toThrow(/sums to 0.5/);
    expect(() => parseMix('gan:1')).toThrow(/Bad routing mix/);
    expect(parseMix('lpd:0.25,sfad:0.75').weights).toEqual({ lpd: 0.25, sfad: 0.75 });
  });

  it('never picks an engine that failed parity', () => {
    const pick = (e: string): number | null => routedImagesPerSecond(rows, e, parseMix('lpd:1'));
    expect(pick('b')).toBeGreaterThan(pick('a') as number);
    expect(fastest(rows, ['a', 'b'], pick)?.engine).toBe('a');
    expect(routedTable(rows, [parseMix('lpd:1')]).split('\n')).toHaveLength(4);
  });
});
