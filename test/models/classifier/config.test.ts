import { isMadenetError } from '../../../src/pipeline/core/errors.js';
import { CLASSIFIER_PRESETS, classifierPreset } from '../../../src/models/classifier/config.js';
import { thrownBy } from '../../helpers/thrown.js';

describe('classifier/config', () => {
  it('has paper (B4 at 380), small (B0) and tiny presets', () => {
    for (const p of CLASSIFIER_PRESETS) expect(classifierPreset(p).preset).toBe(p);
    const paper = classifierPreset('paper');
    expect(paper.variant).toBe('b4');
    expect(paper.backbone).toMatchObject({ widthMult: 1.4, depthMult: 1.8 });
    expect(paper.imageSize).toBe(380);
    expect(paper.dropRate).toBe(0.4);
    expect(classifierPreset('small').variant).toBe('b0');
    expect(classifierPreset('tiny').imageSize).toBe(32);
  });

  it('takes a named variant with its scaling, resolution and dropout, and marks hand-set multipliers custom', () => {
    const b2 = classifierPreset('paper', { variant: 'b2' });
    expect(b2).toMatchObject({ variant: 'b2', imageSize: 260, dropRate: 0.3, backbone: { widthMult: 1.1, depthMult: 1.2 } });
    expect(classifierPreset('paper', { variant: 'b1', imageSize: 64 }).imageSize).toBe(64);
    expect(classifierPreset('small', { backbone: { widthMult: 0.5 } }).variant).toBe('custom');
  });

  it.each([
    [{ imageSize: 16 }, 'imageSize'],
    [{ backbone: { widthMult: 0 } }, 'backbone.widthMult'],
    [{ backbone: { dropPathRate: 1 } }, 'backbone.dropPathRate'],
    [{ dropRate: -0.1 }, 'dropRate'],
    [{ labelSmoothing: 1 }, 'labelSmoothing'],
    [{ variant: 'b9' }, 'variant'],
  ])('rejects %j with E_CONFIG naming %s', (overrides, field) => {
    const err = thrownBy(() => classifierPreset('tiny', overrides as never));
    expect(isMadenetError(err) && err.code).toBe('E_CONFIG');
    expect((err as Error).message).toContain(field);
  });
});
