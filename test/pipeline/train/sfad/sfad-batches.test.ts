import { featureBytes, featureSide, featureSpread, sfadStepsPerEpoch } from '../../../../src/pipeline/train/sfad/sfad-batches.js';

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

  it('measures the mean per-channel spread of banked features', () => {
    // Two images of two locations, D = 2: channel 0 takes 0, 2, 0, 2 (std 1); channel 1 is constant (std 0).
    const bank = [Float32Array.of(0, 5, 2, 5), Float32Array.of(0, 5, 2, 5)];
    expect(featureSpread(bank, 2)).toBeCloseTo(0.5, 6);
    expect(featureSpread([Float32Array.of(1, 2)], 2)).toBeNull();
  });
});
