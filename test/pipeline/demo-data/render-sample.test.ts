import {
  DEMO_CATEGORIES,
  DEMO_DEFECT_TYPES,
  DEMO_MASK_THRESHOLD,
  demoDefectsFor,
  renderDemoSample,
  type DemoCategory,
  type DemoSample,
} from '../../../src/pipeline/demo-data/index.js';

/** Largest per-channel difference at each pixel, in [0,1]. */
function pixelDiff(a: DemoSample, b: DemoSample): Float32Array {
  const n = a.size * a.size;
  const d = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    let m = 0;
    for (let c = 0; c < 3; c++) m = Math.max(m, Math.abs((a.image.data[p * 3 + c] as number) - (b.image.data[p * 3 + c] as number)));
    d[p] = m;
  }
  return d;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

describe('renderDemoSample', () => {
  it('gives the same bytes for the same arguments, whatever was rendered in between', () => {
    // Given one defective sample rendered twice with other work in between
    const first = renderDemoSample('QFP', 1234, 48, 'solder_bridge');
    renderDemoSample('BGA', 99, 48, 'solder_ball');
    renderDemoSample('QFP', 1235, 48, null);
    const again = renderDemoSample('QFP', 1234, 48, 'solder_bridge');
    // Then image and mask are byte-identical
    expect(bytesEqual(first.rgb8, again.rgb8)).toBe(true);
    expect(bytesEqual(first.mask8, again.mask8)).toBe(true);
    // And another seed gives another picture
    const other = renderDemoSample('QFP', 1235, 48, 'solder_bridge');
    expect(bytesEqual(first.rgb8, other.rgb8)).toBe(false);
  });

  it('returns the 8-bit picture as floats k/255 and an all-zero mask for a good sample', () => {
    const s = renderDemoSample('SOD', 7, 32, null);
    expect(s.image.width).toBe(32);
    expect(s.image.data.length).toBe(32 * 32 * 3);
    for (let i = 0; i < s.rgb8.length; i++) expect(s.image.data[i]).toBeCloseTo((s.rgb8[i] as number) / 255, 6);
    expect(s.mask.data.every((v) => v === 0)).toBe(true);
    expect(s.mask8.every((v) => v === 0)).toBe(true);
    expect(s.params).toBeNull();
  });

  it('offers every defect type somewhere, and at least three per category', () => {
    const seen = new Set<string>();
    for (const c of DEMO_CATEGORIES) {
      const defects = demoDefectsFor(c);
      expect(defects.length).toBeGreaterThanOrEqual(3);
      for (const d of defects) {
        expect(DEMO_DEFECT_TYPES).toContain(d);
        seen.add(d);
      }
    }
    expect([...seen].sort()).toEqual([...DEMO_DEFECT_TYPES].sort());
    expect(DEMO_CATEGORIES).toHaveLength(11);
  });

  // The core contract: a defect's mask is exactly where the picture differs from its good twin (same seed).
  describe.each(DEMO_CATEGORIES.map((c) => [c]))('%s', (category: DemoCategory) => {
    it.each(demoDefectsFor(category).map((d) => [d]))('%s: the mask is non-empty and marks exactly the changed pixels', (defect) => {
      for (const [seed, size] of [
        [11, 64],
        [12, 40],
      ] as const) {
        const good = renderDemoSample(category, seed, size, null);
        const bad = renderDemoSample(category, seed, size, defect);
        const diff = pixelDiff(good, bad);
        let area = 0;
        let inside = 0;
        const wrong: string[] = [];
        for (let p = 0; p < size * size; p++) {
          const marked = bad.mask.data[p] === 1;
          if (bad.mask8[p] !== (marked ? 255 : 0)) wrong.push(`pixel ${p}: mask8 ${bad.mask8[p]} vs mask ${bad.mask.data[p]}`);
          // Inside the mask the twin differs by more than the threshold; outside by at most the threshold.
          if (marked !== (diff[p] as number) > DEMO_MASK_THRESHOLD) wrong.push(`pixel ${p}: mask ${marked}, diff ${diff[p]}`);
          if (marked) {
            area++;
            inside += diff[p] as number;
          }
        }
        expect(wrong.slice(0, 5)).toEqual([]);
        // Clearly visible even in small pictures: several pixels, changed by well over the sensor noise.
        expect(area).toBeGreaterThanOrEqual(size >= 64 ? 5 : 2);
        expect(inside / area).toBeGreaterThan(0.06);
        expect(bad.params?.type).toBe(defect);
      }
    });
  });

  it('varies normal pictures modestly: different seeds differ, but far less than a defect changes', () => {
    for (const c of DEMO_CATEGORIES) {
      const a = renderDemoSample(c, 1, 48, null);
      const b = renderDemoSample(c, 2, 48, null);
      const d = pixelDiff(a, b);
      const mean = d.reduce((s, v) => s + v, 0) / d.length;
      expect(mean).toBeGreaterThan(0.01);
      expect(mean).toBeLessThan(0.15);
    }
  });

  it('renders at the smallest and largest supported sizes', () => {
    expect(maskArea(renderDemoSample('QFN', 3, 32, 'missing_polarity_mark'))).toBeGreaterThan(0);
    const big = renderDemoSample('ALUMINUM_CAPACITOR', 3, 512, 'missing_polarity_mark');
    expect(big.rgb8.length).toBe(512 * 512 * 3);
    expect(maskArea(big)).toBeGreaterThan(1000);
  });

  it('rejects unknown categories, unsupported defects and sizes out of range with E_USAGE', () => {
    expect(() => renderDemoSample('NOPE' as DemoCategory, 1, 64, null)).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(() => renderDemoSample('CAPACITOR', 1, 64, 'bent_lead')).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(() => renderDemoSample('CAPACITOR', 1, 31, null)).toThrow(/from 32 to 512, but got 31/);
    expect(() => renderDemoSample('CAPACITOR', 1, 513, null)).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(() => renderDemoSample('CAPACITOR', 1, 64.5, null)).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
  });
});

function maskArea(s: DemoSample): number {
  return s.mask8.reduce((n, v) => n + (v ? 1 : 0), 0);
}
