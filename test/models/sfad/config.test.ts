import { describe, expect, it } from '@jest/globals';
import { MadenetError } from '../../../src/pipeline/core/errors.js';
import { sfadPreset } from '../../../src/pipeline/submodels/sfad/model/config.js';

describe('sfadPreset', () => {
  it('gives SimpleNet settings for paper and smaller nets for small/tiny', () => {
    const paper = sfadPreset('paper');
    expect(paper).toMatchObject({ backbone: 'wide_resnet50_2', layers: ['layer2', 'layer3'], imageSize: 288, featureDim: 1536, noiseStd: 0.015, margin: 0.5, smoothingSigma: 4 });
    expect(paper).toMatchObject({ standardize: false, lrAdaptor: 1e-4, lrDiscriminator: 2e-4 });
    expect(sfadPreset('small').featureDim).toBeLessThan(paper.featureDim);
    // Without ImageNet features small and tiny standardise, and their noise is a share of each channel's spread.
    expect(sfadPreset('small')).toMatchObject({ standardize: true, noiseStd: 0.2, lrDiscriminator: 1e-3 });
    expect(sfadPreset('tiny')).toMatchObject({ backbone: 'resnet_tiny', imageSize: 64 });
  });

  it('applies overrides (ignoring undefined ones) without touching the preset', () => {
    const cfg = sfadPreset('small', { featureDim: 128, noiseStd: undefined, layers: ['layer3'] });
    expect(cfg.featureDim).toBe(128);
    expect(cfg.noiseStd).toBe(0.2);
    cfg.layers.push('layer2');
    expect(sfadPreset('small').layers).toEqual(['layer2', 'layer3']);
  });

  it.each([
    [{ imageSize: 100 }, /imageSize: 100; expected a multiple of 32/],
    [{ featureDim: 0 }, /featureDim/],
    [{ noiseStd: 0 }, /noiseStd/],
    [{ standardize: 'yes' as never }, /standardize/],
    [{ patchSize: 2 }, /patchSize: 2; expected an odd integer/],
    [{ layers: ['layer5'] }, /layers.*layer5/],
    [{ backbone: 'vgg16' as never }, /backbone: "vgg16"; expected one of resnet18/],
  ])('rejects %j with E_CONFIG', (overrides, message) => {
    let error: unknown;
    try {
      sfadPreset('tiny', overrides);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MadenetError);
    expect((error as MadenetError).code).toBe('E_CONFIG');
    expect((error as MadenetError).message).toMatch(message);
  });

  it('lists the presets when the name is unknown', () => {
    expect(() => sfadPreset('huge')).toThrow(/preset: "huge"; expected one of paper, small, tiny/);
  });
});
