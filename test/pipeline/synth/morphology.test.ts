import { type Mask } from '../../../src/pipeline/io/image.js';
import { closeMask, dilate, erode, fillHoles, keepLargestComponents, labelComponents, openMask } from '../../../src/pipeline/synth/morphology.js';

function fromRows(rows: string[]): Mask {
  const h = rows.length;
  const w = rows[0]!.length;
  const data = new Float32Array(w * h);
  rows.forEach((r, y) => [...r].forEach((ch, x) => (data[y * w + x] = ch === '#' ? 1 : 0)));
  return { width: w, height: h, data };
}

function toRows(m: Mask): string[] {
  const out: string[] = [];
  for (let y = 0; y < m.height; y++) {
    let s = '';
    for (let x = 0; x < m.width; x++) s += m.data[y * m.width + x]! > 0.5 ? '#' : '.';
    out.push(s);
  }
  return out;
}

describe('morphology', () => {
  it('dilates and erodes with a square of the given radius', () => {
    const m = fromRows(['.....', '.....', '..#..', '.....', '.....']);
    expect(toRows(dilate(m, 1))).toEqual(['.....', '.###.', '.###.', '.###.', '.....']);
    expect(toRows(erode(dilate(m, 1), 1))).toEqual(toRows(m));
  });

  it('erosion treats the outside as on, so an object touching the border keeps its edge', () => {
    const m = fromRows(['##...', '##...', '.....']);
    expect(toRows(erode(m, 1))).toEqual(['#....', '.....', '.....']);
  });

  it('opening removes a thin line, closing bridges a one-pixel gap', () => {
    const line = fromRows(['.......', '.......', '#######', '.......', '.......']);
    expect(toRows(openMask(line, 1)).join('')).not.toContain('#');
    const gap = fromRows(['.........', '..###.#..', '..###.#..', '..###.#..', '.........']);
    expect(toRows(closeMask(gap, 1))[2]).toBe('..#####..');
  });

  it('labels 8-connected components and keeps the largest, dropping small and border-touching ones', () => {
    const m = fromRows(['#......', '.#.....', '...###.', '...###.', '...###.', '.......', '#.....#']);
    const { sizes } = labelComponents(m);
    expect(sizes.slice(1).sort((a, b) => a - b)).toEqual([1, 1, 2, 9]);
    expect(toRows(keepLargestComponents(m, { minRelative: 0.5 })).join('').split('#').length - 1).toBe(9);
    // With a generous minRelative the 2-pixel diagonal stays unless border-touching secondaries are dropped.
    expect(toRows(keepLargestComponents(m, { minRelative: 0.2 })).join('').split('#').length - 1).toBe(11);
    expect(toRows(keepLargestComponents(m, { minRelative: 0.2, dropBorderSecondaries: true })).join('').split('#').length - 1).toBe(9);
  });

  it('fills holes that the border cannot reach', () => {
    const m = fromRows(['.....', '.###.', '.#.#.', '.###.', '.....']);
    expect(toRows(fillHoles(m))[2]).toBe('.###.');
    const open = fromRows(['.....', '.###.', '.#...', '.###.', '.....']);
    expect(toRows(fillHoles(open))[2]).toBe('.#...');
  });
});
