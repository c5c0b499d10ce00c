import { curveFromScores } from '../../../src/pipeline/eval/count-curve.js';
import { aurocOf, auproOf, averagePrecisionOf, f1MaxOf } from '../../../src/pipeline/eval/curve-metrics.js';
import { PixelCurveAccumulator, SHARED, aupro, pixelCurve, pixelMetrics, type PixelSample } from '../../../src/pipeline/eval/pixel-curve-accumulator.js';
import { labelRegions } from '../../../src/pipeline/eval/regions.js';
import { Rng } from '../../../src/pipeline/core/random.js';
import { DIGITS, loadReference, type MetricsReference, type PixelCase } from './reference.js';

const ref = loadReference<MetricsReference>('metrics-reference.json');

function samplesOf(c: PixelCase): PixelSample[] {
  return c.maps.map((m, i) => {
    const gt = Uint8Array.from(c.masks[i] as number[]);
    return { map: Float32Array.from(m), gt: gt.some((v) => v !== 0) ? gt : null, width: c.width, height: c.height };
  });
}

describe('pixel metrics against scikit-learn and the MVTec AUPRO reference', () => {
  it.each(ref.pixel.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // Given maps with tied scores and hand-made masks; When both passes run; Then the values match.
    const m = pixelMetrics(samplesOf(c));
    expect(m.defectPixels).toBe(c.defectPixels);
    expect(m.normalPixels).toBe(c.normalPixels);
    expect(m.regions).toBe(c.regions);
    expect(m.auroc).toBeCloseTo(c.auroc as number, DIGITS);
    expect(m.ap).toBeCloseTo(c.ap as number, DIGITS);
    expect(m.aupro).toBeCloseTo(c.aupro['0.3'] as number, DIGITS);
    expect(aupro(samplesOf(c), 0.05)).toBeCloseTo(c.aupro['0.05'] as number, DIGITS);
    expect(aupro(samplesOf(c), 1)).toBeCloseTo(c.aupro['1.0'] as number, DIGITS);
  });

  it.each(ref.pixel.map((c) => [c.name, c] as const))('labels 8-connected regions like scipy: %s', (_name, c) => {
    c.masks.forEach((mask, i) => {
      expect(labelRegions(Uint8Array.from(mask), c.width, c.height).sizes.length).toBe(c.regionsPerImage[i]);
    });
  });

  it('joins diagonal neighbours into one region and keeps separate blobs apart', () => {
    // 4x4: a diagonal of 3 pixels and one isolated corner pixel two steps away.
    const gt = Uint8Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    gt[3] = 1;
    const r = labelRegions(gt, 4, 4);
    expect(r.sizes).toEqual([3, 1]);
    expect(r.labels[0]).toBe(r.labels[10]);
    expect(r.labels[3]).not.toBe(r.labels[0]);
  });

  it('equals the exact curve over pooled pixels, whatever the order of images', () => {
    // Given random maps with 4-bit scores (many ties across classes) and random masks,
    const rng = new Rng(5);
    const w = 9;
    const h = 7;
    const samples: PixelSample[] = [];
    for (let k = 0; k < 12; k++) {
      const gt = new Uint8Array(w * h);
      const map = new Float32Array(w * h);
      for (let i = 0; i < w * h; i++) {
        gt[i] = k % 3 !== 0 && rng.next() < 0.2 ? 1 : 0;
        map[i] = Math.round((rng.next() + 0.4 * (gt[i] as number)) * 15) / 15 - 0.5;
      }
      samples.push({ map, gt: gt.some((v) => v) ? gt : null, width: w, height: h });
    }
    // When the accumulator runs, and when all pixels are pooled into one image-style curve,
    const scores: number[] = [];
    const labels: number[] = [];
    for (const s of samples) s.map.forEach((v, i) => (scores.push(v), labels.push(s.gt ? (s.gt[i] as number) : 0)));
    const pooled = curveFromScores(scores, labels);
    const streamed = pixelCurve(samples);
    const reversed = pixelCurve([...samples].reverse());
    // Then AUROC, AP and F1-max agree exactly, and the order of images does not matter.
    expect(aurocOf(streamed)).toBe(aurocOf(pooled));
    expect(averagePrecisionOf(streamed)).toBeCloseTo(averagePrecisionOf(pooled) as number, 14);
    expect(f1MaxOf(streamed)).toEqual(f1MaxOf(pooled));
    expect(aurocOf(reversed)).toBe(aurocOf(streamed));
    expect(auproOf(reversed)).toBeCloseTo(auproOf(streamed) as number, 14);
  });

  it('answers per group (defect type + shared normals) exactly as a separate accumulator would', () => {
    // Given two defect types and shared normal images,
    const c = ref.pixel[1] as PixelCase;
    const samples = samplesOf(c);
    const typeOf = (i: number): number => i % 2;
    const joint = new PixelCurveAccumulator();
    samples.forEach((s, i) => s.gt && joint.addDefectPixels(s.map, s.gt, s.width, typeOf(i)));
    samples.forEach((s, i) => joint.addNormalPixels(s.map, s.gt, s.gt ? typeOf(i) : SHARED));
    for (const g of [0, 1]) {
      // When a group is selected, Then it equals an accumulator fed only that type's defect images + normals.
      const alone = pixelMetrics(samples.filter((s, i) => !s.gt || typeOf(i) === g));
      const got = joint.finalize(0.3, [g]);
      expect(got.defectPixels).toBe(alone.defectPixels);
      expect(got.normalPixels).toBe(alone.normalPixels);
      expect(got.regions).toBe(alone.regions);
      expect(got.auroc).toBe(alone.auroc);
      expect(got.ap).toBeCloseTo(alone.ap as number, 14);
      expect(got.aupro).toBeCloseTo(alone.aupro as number, 14);
    }
    // and no selection is the whole set (the sklearn reference).
    expect(joint.finalize().auroc).toBeCloseTo(c.auroc as number, DIGITS);
  });

  it('counts -0 and +0 as one score', () => {
    const acc = new PixelCurveAccumulator();
    acc.addDefectPixels(Float32Array.from([-0, 1]), Uint8Array.from([1, 0]), 2);
    acc.addNormalPixels(Float32Array.from([-0, 1]), Uint8Array.from([1, 0]));
    acc.addNormalPixels(Float32Array.from([0]), null);
    // One defect pixel at 0 vs normals {1, +0}: wins none, ties one -> AUROC 0.25.
    expect(acc.finalize().auroc).toBe(0.25);
  });

  it('gives null (not NaN) without defect pixels, and defined values without normal images', () => {
    const normalOnly = pixelMetrics([{ map: Float32Array.from([0.1, 0.2]), gt: null, width: 2, height: 1 }]);
    expect(normalOnly).toMatchObject({ auroc: null, ap: null, aupro: null, defectPixels: 0, normalPixels: 2 });
    const allDefect = pixelMetrics([{ map: Float32Array.from([0.1, 0.2]), gt: Uint8Array.from([1, 1]), width: 2, height: 1 }]);
    expect(allDefect).toMatchObject({ auroc: null, ap: 1, aupro: null, defectPixels: 2, normalPixels: 0 });
  });

  it('rejects NaN pixels, mismatched mask sizes and late defect images', () => {
    const acc = new PixelCurveAccumulator();
    expect(() => acc.addDefectPixels(Float32Array.from([NaN, 1]), Uint8Array.from([1, 0]), 2)).toThrow(
      expect.objectContaining({ code: 'E_PREDICTIONS' }),
    );
    expect(() => acc.addDefectPixels(Float32Array.from([0, 1]), Uint8Array.from([1, 0, 0]), 3)).toThrow(
      expect.objectContaining({ code: 'E_MASK_SIZE' }),
    );
    acc.addNormalPixels(Float32Array.from([0.5]), null);
    expect(() => acc.addDefectPixels(Float32Array.from([0.5]), Uint8Array.from([1]), 1)).toThrow(/after addNormalPixels/);
  });
});
