import { describe, expect, it } from '@jest/globals';
import { finetuneLost } from '../../../src/pipeline/services/finetune.js';

const result = (objective: number | null, normals = 20, defects = 6, lambda = 0.5) => ({
  metrics: { before: { normals, defects }, delta: { objective } },
  settings: { lambda },
});

describe('finetuneLost', () => {
  it('is a loss only beyond one image-AUROC step of the validation set (lambda / (normals x defects))', () => {
    // 20 x 6 pairs at lambda 0.5: one step is 0.5 / 120 = 0.00417.
    expect(finetuneLost(result(-0.005))).toBe(true);
    expect(finetuneLost(result(-0.0036))).toBe(false);
    expect(finetuneLost(result(-2.4e-5))).toBe(false);
    expect(finetuneLost(result(0))).toBe(false);
    expect(finetuneLost(result(0.1))).toBe(false);
  });

  it('scales with the held-out set and lambda, and treats an unknown objective as no loss', () => {
    expect(finetuneLost(result(-0.005, 200, 60))).toBe(true);
    expect(finetuneLost(result(-0.02, 2, 2))).toBe(false); // one step is 0.125 with 4 pairs
    expect(finetuneLost(result(-0.001, 20, 6, 0))).toBe(true); // Pixel-AP only: any drop counts
    expect(finetuneLost(result(null))).toBe(false);
  });
});
