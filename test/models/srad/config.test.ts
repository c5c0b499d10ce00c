import { isMadenetError } from '../../../src/pipeline/core/errors.js';
import { HRNET_W18 } from '../../../src/models/components/hrnet.js';
import { SRAD_PRESETS, sradPreset } from '../../../src/pipeline/submodels/srad/model/config.js';

function configError(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isMadenetError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected an E_CONFIG error');
}

describe('srad/config', () => {
  it('has valid paper/small/tiny presets with the paper shapes', () => {
    for (const p of SRAD_PRESETS) expect(sradPreset(p).preset).toBe(p);
    const paper = sradPreset('paper');
    expect(paper.imageSize).toBe(256);
    expect(paper.encoder.width).toBe(32);
    expect(paper.encoder.stages.map((s) => s.modules)).toEqual([1, 4, 3]);
    expect(paper.decoder.residualBlocks).toBe(2);
    expect(paper.decoder.channels ?? 0).toBe(0);
    expect(sradPreset('small').decoder.channels).toBe(64);
    expect(paper.loss.focalGamma).toBe(2);
    expect(paper.scoreFilterSize).toBe(21);
    expect(sradPreset('small').imageSize).toBe(128);
    expect(sradPreset('tiny').imageSize).toBeLessThanOrEqual(64);
  });

  it('merges overrides one level deep without touching the preset', () => {
    const cfg = sradPreset('paper', { encoder: { width: 18 }, loss: { focalAlpha: 0.25 }, seed: 9 });
    expect(cfg.encoder).toEqual(HRNET_W18);
    expect(cfg.loss.focalAlpha).toBe(0.25);
    expect(cfg.loss.focalGamma).toBe(2);
    expect(cfg.seed).toBe(9);
    expect(sradPreset('paper').encoder.width).toBe(32);
  });

  it.each([
    [{ imageSize: 100 }, 'imageSize'],
    [{ imageSize: 40 }, 'imageSize'],
    [{ encoder: { width: 0 } }, 'encoder.width'],
    [{ encoder: { stages: [] } }, 'encoder.stages'],
    [{ encoder: { stages: [{ modules: 1, blocks: 0 }] } }, 'encoder.stages[0].blocks'],
    [{ decoder: { output: 'tanh' } }, 'decoder.output'],
    [{ decoder: { channels: -1 } }, 'decoder.channels'],
    [{ decoder: { channels: 2.5 } }, 'decoder.channels'],
    [{ detector: { maskChannels: 3 } }, 'detector.maskChannels'],
    [{ loss: { ssimWindow: 10 } }, 'loss.ssimWindow'],
    [{ loss: { focalAlpha: 1.5 } }, 'loss.focalAlpha'],
    [{ loss: { lambdaSeg: -1 } }, 'loss.lambdaSeg'],
    [{ scoreFilterSize: 20 }, 'scoreFilterSize'],
  ])('rejects %j with E_CONFIG naming %s', (overrides, field) => {
    const e = configError(() => sradPreset('tiny', overrides as never));
    expect(e.code).toBe('E_CONFIG');
    expect(e.message).toContain(field);
  });

  it('rejects an unknown preset', () => {
    expect(configError(() => sradPreset('huge' as never)).message).toContain('preset');
  });
});
