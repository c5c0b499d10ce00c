import { describe, expect, it } from '@jest/globals';
import { MadenetError } from '../../../src/pipeline/core/errors.js';
import { lpdPreset } from '../../../src/pipeline/submodels/lpd/model/config.js';

describe('lpdPreset', () => {
  it('uses ResNet-50 for paper, ResNet-18 by default (small) and the tiny net for tiny', () => {
    expect(lpdPreset('paper')).toMatchObject({ backbone: 'resnet50', imageSize: 256, learningRate: 0.03, momentum: 0.9 });
    expect(lpdPreset('small').backbone).toBe('resnet18');
    expect(lpdPreset('tiny')).toMatchObject({ backbone: 'resnet_tiny', imageSize: 64 });
  });

  it('copies list overrides and validates them', () => {
    const cfg = lpdPreset('tiny', { headHidden: [16, 8], dropout: 0 });
    expect(cfg.headHidden).toEqual([16, 8]);
    cfg.gdeLayers.pop();
    expect(lpdPreset('tiny').gdeLayers).toEqual(['layer1', 'layer2']);
  });

  it.each([
    [{ headHidden: [0] }, /headHidden/],
    [{ dropout: 1 }, /dropout: 1/],
    [{ gdeEpsilon: 0 }, /gdeEpsilon/],
    [{ batchSize: 1 }, /batchSize/],
    [{ imageSize: 48 }, /imageSize: 48/],
  ])('rejects %j with E_CONFIG', (overrides, message) => {
    expect(() => lpdPreset('tiny', overrides)).toThrow(MadenetError);
    expect(() => lpdPreset('tiny', overrides)).toThrow(message);
  });

  it('lists the presets when the name is unknown', () => {
    expect(() => lpdPreset('x')).toThrow(/expected one of paper, small, tiny/);
  });
});
