import { featureBytes, featureSide, sfadStepsPerEpoch } from '../../../../src/pipeline/submodels/sfad/train/sfad-batches.js';

describe('SFAD batch plumbing', () => {
  it('sizes feature maps by the finest chosen stage', () => {
    expect(featureSide({ imageSize: 64, layers: ['layer2', 'layer3'] })).toBe(8);
    expect(featureSide({ imageSize: 64, layers: ['layer3'] })).toBe(4);
    expect(featureBytes({ imageSize: 128, layers: ['layer2', 'layer3'], featureDim: 384 })).toBe(16 * 16 * 384 * 4);
  });

  it('counts full batches only, and at least one', () => {
    expect(sfadStepsPerEpoch(10, 4)).toBe(2);
    expect(sfadStepsPerEpoch(3, 8)).toBe(1);
  });
});
