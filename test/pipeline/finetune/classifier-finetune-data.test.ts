import type { Dataset, Sample } from '../../../src/pipeline/io/dataset.js';
import { classifierFinetuneOrder } from '../../../src/pipeline/finetune/classifier-finetune-batches.js';
import { selectClassifierFinetuneData } from '../../../src/pipeline/finetune/classifier-finetune-data.js';
import { classifierRoutingMetrics, routingScore } from '../../../src/pipeline/finetune/classifier-routing-metrics.js';
import { splitClassifierData, type LabeledSample } from '../../../src/pipeline/train/classifier/classifier-data.js';

/** Samples only (no files): selection and order never decode. */
function sample(category: string, split: 'train' | 'test', defect: boolean, i: number): Sample {
  const type = defect ? 'crack' : 'good';
  return { path: `/d/${category}/${split}/${type}/${String(i).padStart(3, '0')}.png`, category, split, label: defect ? 1 : 0, defectType: type, maskPath: defect ? `/d/${category}/ground_truth/crack/${i}_mask.png` : null };
}

function dataset(spec: Record<string, { normals: number; defects: number }>): Dataset {
  const samples: Sample[] = [];
  for (const [category, n] of Object.entries(spec)) {
    for (let i = 0; i < n.normals; i++) samples.push(sample(category, 'train', false, i));
    for (let i = 0; i < n.defects; i++) samples.push(sample(category, 'train', true, i));
    // Test images must never be selected.
    samples.push(sample(category, 'test', false, 0), sample(category, 'test', true, 0));
  }
  return { root: '/d', layout: 'mvtec', categories: Object.keys(spec).sort(), samples, problems: [] };
}

function failure(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a throw');
}

describe('selectClassifierFinetuneData', () => {
  const ds = dataset({ alpha: { normals: 12, defects: 8 }, beta: { normals: 12, defects: 8 } });

  it('trains on normals and defects of every category, each labelled by its category, and never reads the test split', () => {
    const d = selectClassifierFinetuneData(ds, ['alpha', 'beta'], { valFraction: 0.25, seed: 3 });
    const all = [...d.train, ...d.validation];
    expect(all).toHaveLength(40);
    expect(all.every((s) => s.sample.split === 'train')).toBe(true);
    expect(all.every((s) => d.categories[s.label] === s.sample.category)).toBe(true);
    // Defects are trained on, with their category's label.
    const trainDefects = d.train.filter((s) => s.sample.label === 1);
    expect(trainDefects.length).toBe(d.totals.trainDefects);
    expect(new Set(trainDefects.map((s) => s.label))).toEqual(new Set([0, 1]));
    expect(d.totals.trainDefects + d.totals.validationDefects).toBe(16);
    expect(d.totals.validationDefects).toBeGreaterThan(0);
    expect(d.counts.alpha!.trainNormals + d.counts.alpha!.validationNormals).toBe(12);
    expect(d.warnings).toEqual([]);
  });

  it('holds out train-classifier\'s own seeded split: disjoint from training, the same for the same seed, another for another', () => {
    const d = selectClassifierFinetuneData(ds, ['alpha', 'beta'], { valFraction: 0.25, seed: 3 });
    const trainPaths = new Set(d.train.map((s) => s.sample.path));
    expect(d.validation.some((s) => trainPaths.has(s.sample.path))).toBe(false);
    const parentSplit = splitClassifierData(ds, { valFraction: 0.25, seed: 3 });
    expect(d.validation.map((s) => s.sample.path).sort()).toEqual(parentSplit.validation.map((s) => s.sample.path).sort());
    expect(selectClassifierFinetuneData(ds, ['alpha', 'beta'], { valFraction: 0.25, seed: 3 })).toEqual(d);
    const other = selectClassifierFinetuneData(ds, ['alpha', 'beta'], { valFraction: 0.25, seed: 4 });
    expect(other.validation.map((s) => s.sample.path)).not.toEqual(d.validation.map((s) => s.sample.path));
  });

  it('labels by the classifier\'s own column order, not by name', () => {
    const d = selectClassifierFinetuneData(ds, ['beta', 'alpha'], { valFraction: 0.25, seed: 3 });
    expect(d.categories).toEqual(['beta', 'alpha']);
    expect(d.train.filter((s) => s.sample.category === 'beta').every((s) => s.label === 0)).toBe(true);
    expect(d.validation.filter((s) => s.sample.category === 'alpha').every((s) => s.label === 1)).toBe(true);
  });

  it('ignores categories the classifier does not know, with a warning, and refuses data lacking one it knows', () => {
    const more = dataset({ alpha: { normals: 12, defects: 8 }, beta: { normals: 12, defects: 8 }, gamma: { normals: 5, defects: 2 } });
    const d = selectClassifierFinetuneData(more, ['alpha', 'beta'], { valFraction: 0.25, seed: 3 });
    expect(d.ignoredCategories).toEqual(['gamma']);
    expect(d.warnings.join(' ')).toContain('gamma');
    expect([...d.train, ...d.validation].some((s) => s.sample.category === 'gamma')).toBe(false);
    const err = failure(() => selectClassifierFinetuneData(ds, ['alpha', 'beta', 'delta'], { valFraction: 0.25, seed: 3 }));
    expect(err.code).toBe('E_DATASET');
    expect(err.message).toContain('delta');
  });

  it('refuses data without defective train images with E_NO_DEFECTS, and warns about a category without any', () => {
    const plain = dataset({ alpha: { normals: 12, defects: 0 }, beta: { normals: 12, defects: 0 } });
    const err = failure(() => selectClassifierFinetuneData(plain, ['alpha', 'beta'], { valFraction: 0.25, seed: 3 }));
    expect(err.code).toBe('E_NO_DEFECTS');
    expect(err.message).toContain('alpha, beta');
    // One defect in all: it lands on one side of the split, leaving none for the other.
    const one = dataset({ alpha: { normals: 12, defects: 1 }, beta: { normals: 12, defects: 0 } });
    expect(failure(() => selectClassifierFinetuneData(one, ['alpha', 'beta'], { valFraction: 0.25, seed: 3 })).code).toBe('E_NO_DEFECTS');
    const half = dataset({ alpha: { normals: 12, defects: 8 }, beta: { normals: 12, defects: 0 } });
    expect(selectClassifierFinetuneData(half, ['alpha', 'beta'], { valFraction: 0.25, seed: 3 }).warnings.join(' ')).toContain('beta has no defective image');
  });
});

describe('classifierFinetuneOrder', () => {
  const labeled = (label: number, defect: boolean, n: number): LabeledSample[] =>
    Array.from({ length: n }, (_, i) => ({ label, sample: sample(`c${label}`, 'train', defect, i) }));
  const train = [...labeled(0, false, 10), ...labeled(0, true, 2), ...labeled(1, false, 3), ...labeled(1, true, 5), ...labeled(2, false, 4)];

  it('draws categories equally often and gives defects their share within each category', () => {
    const order = classifierFinetuneOrder(train, 3, { seed: 1, epoch: 0, count: 60, defectShare: 0.5 });
    expect(order).toHaveLength(60);
    for (const c of [0, 1, 2]) expect(order.filter((s) => s.label === c)).toHaveLength(20);
    expect(order.filter((s) => s.label === 0 && s.sample.label === 1)).toHaveLength(10);
    expect(order.filter((s) => s.label === 1 && s.sample.label === 1)).toHaveLength(10);
    // Category 2 has no defects: it draws normals only.
    expect(order.filter((s) => s.label === 2 && s.sample.label === 1)).toHaveLength(0);
    // Each pool cycles through all its images before repeating one.
    const defects0 = order.filter((s) => s.label === 0 && s.sample.label === 1).map((s) => s.sample.path);
    expect(new Set(defects0.slice(0, 2)).size).toBe(2);
    const quarter = classifierFinetuneOrder(train, 3, { seed: 1, epoch: 0, count: 60, defectShare: 0.25 });
    expect(quarter.filter((s) => s.label === 1 && s.sample.label === 1)).toHaveLength(5);
  });

  it('depends on (seed, epoch) only', () => {
    const a = classifierFinetuneOrder(train, 3, { seed: 1, epoch: 0, count: 30, defectShare: 0.5 });
    expect(classifierFinetuneOrder(train, 3, { seed: 1, epoch: 0, count: 30, defectShare: 0.5 })).toEqual(a);
    expect(classifierFinetuneOrder(train, 3, { seed: 1, epoch: 1, count: 30, defectShare: 0.5 })).not.toEqual(a);
    expect(classifierFinetuneOrder(train, 3, { seed: 2, epoch: 0, count: 30, defectShare: 0.5 })).not.toEqual(a);
    expect(() => classifierFinetuneOrder(train, 3, { seed: 1, epoch: 0, count: 30, defectShare: 1.5 })).toThrow(/defectShare/);
  });
});

describe('classifierRoutingMetrics', () => {
  it('splits accuracy, confidence and the shares under the threshold by normals and defects', () => {
    // Four images, two classes: normal right 0.95; normal right 0.80 (under); defect wrong 0.90 (confidently wrong);
    // defect right 0.60 (under).
    const probs = Float32Array.from([0.95, 0.05, 0.2, 0.8, 0.9, 0.1, 0.4, 0.6]);
    const m = classifierRoutingMetrics(probs, [0, 1, 1, 1], [false, false, true, true], 2, 0.85);
    expect(m.images).toBe(4);
    expect(m.accuracy).toBeCloseTo(0.75);
    expect(m.confusion).toEqual([
      [1, 0],
      [1, 2],
    ]);
    expect(m.normals).toMatchObject({ images: 2, accuracy: 1, belowThreshold: 0.5, confidentWrong: 0, confidentRight: 0.5 });
    expect(m.normals.meanConfidence).toBeCloseTo(0.875, 6);
    expect(m.defects).toMatchObject({ images: 2, accuracy: 0.5, belowThreshold: 0.5, confidentWrong: 0.5, confidentRight: 0 });
    expect(m.defects.meanConfidence).toBeCloseTo(0.75, 6);
    expect(m.defects.meanTrueProbability).toBeCloseTo(0.35, 6);
    // Mean confident-right share over the two groups, and a tiny tie-breaker.
    expect(routingScore(m)).toBeCloseTo(0.25, 5);
    expect(routingScore(m)).toBeGreaterThan(0.25);
  });

  it('leaves an empty group out (null shares) and scores on the other', () => {
    const m = classifierRoutingMetrics(Float32Array.from([0.9, 0.1]), [0], [false], 2, 0.85);
    expect(m.defects).toMatchObject({ images: 0, meanConfidence: null, belowThreshold: null });
    expect(routingScore(m)).toBeCloseTo(1, 5);
    expect(routingScore(classifierRoutingMetrics(new Float32Array(0), [], [], 2, 0.85))).toBeNull();
  });
});
