import * as tf from '@tensorflow/tfjs';
import { countTrainableParams } from '../../../src/models/components/conv.js';
import { sradPreset } from '../../../src/pipeline/submodels/srad/model/config.js';
import { buildHrnetEncoder } from '../../../src/models/components/hrnet.js';
import { buildSrad, disposeSrad, loadSradEncoderWeights, sradForward } from '../../../src/pipeline/submodels/srad/model/model.js';
import { isMadenetError } from '../../../src/pipeline/core/errors.js';
import { roundTrip } from '../../helpers/model-round-trip.js';
import { thrownBy } from '../../helpers/thrown.js';
import { kernelOf } from '../../helpers/layer-weights.js';

describe('srad/model', () => {
  it('builds the paper preset symbolically with the hand-counted parameters (no forward pass)', () => {
    const m = buildSrad(sradPreset('paper'));
    expect(m.reconstructive.inputs[0]!.shape).toEqual([null, 256, 256, 3]);
    expect(m.reconstructive.outputs[0]!.shape).toEqual([null, 256, 256, 3]);
    expect(m.discriminative.inputs[0]!.shape).toEqual([null, 256, 256, 6]);
    expect(m.discriminative.outputs[0]!.shape).toEqual([null, 256, 256, 2]);
    expect(m.reconstructive.getLayer('enc.final.concat').output).toHaveProperty('shape', [null, 64, 64, 480]);
    // HRNetV2-W32 29,305,536 (see hrnet.test.ts) + two residual blocks 2 * (2 * 480*480*9 + 2 * 960)
    // + ConvT 480->64 (491,520) + BN (128) + ConvT 64->3 (3,072) + bias (3).
    expect(countTrainableParams(m.reconstructive)).toBe(29305536 + 8298240 + 491520 + 128 + 3072 + 3);
    // U-Net 64..1024, 4 poolings, 6 input channels, 1x1 head to 2 (summed level by level: 34,521,856 + 130).
    expect(countTrainableParams(m.discriminative)).toBe(34521856 + 130);
    disposeSrad(m);
  });

  it('builds small and tiny with the right shapes; tiny has the hand-counted parameters', () => {
    const small = buildSrad(sradPreset('small'));
    expect(small.reconstructive.outputs[0]!.shape).toEqual([null, 128, 128, 3]);
    expect(small.discriminative.outputs[0]!.shape).toEqual([null, 128, 128, 2]);
    expect(small.reconstructive.getLayer('enc.final.concat').output).toHaveProperty('shape', [null, 32, 32, 18 + 36 + 72 + 144]);
    // The decoder's 1x1 projection 270 -> 64 (+ BN) feeds residual blocks of 64 channels.
    expect(small.reconstructive.getLayer('dec.proj.relu').output).toHaveProperty('shape', [null, 32, 32, 64]);
    const proj = small.reconstructive.getLayer('dec.proj');
    expect(proj.countParams() + small.reconstructive.getLayer('dec.proj.bn').countParams()).toBe(270 * 64 + 4 * 64);
    expect(small.reconstructive.getLayer('dec.res.0.conv1').countParams()).toBe(64 * 64 * 9);
    disposeSrad(small);
    const wide = buildSrad(sradPreset('small', { decoder: { channels: 0 } }));
    expect(() => wide.reconstructive.getLayer('dec.proj')).toThrow();
    expect(wide.reconstructive.getLayer('dec.res.0.conv1').countParams()).toBe(270 * 270 * 9);
    disposeSrad(wide);
    const tiny = buildSrad(sradPreset('tiny'));
    // Encoder 14,704 (hrnet.test.ts) + 2 residual blocks on 28 ch (2 * 14,224) + ConvT 28->8 + BN (3,600) + ConvT 8->3 (387).
    expect(countTrainableParams(tiny.reconstructive)).toBe(14704 + 28448 + 3600 + 387);
    // U-Net body 8,464 (unet.test.ts) + head 4->2 (10).
    expect(countTrainableParams(tiny.discriminative)).toBe(8464 + 10);
    const one = buildSrad(sradPreset('tiny', { detector: { maskChannels: 1 } }));
    expect(one.discriminative.outputs[0]!.shape).toEqual([null, 32, 32, 1]);
    disposeSrad(one);
    disposeSrad(tiny);
  });

  it('runs tiny forward: recon in [0,1], softmax mask summing to 1, no leaked tensors', () => {
    const m = buildSrad(sradPreset('tiny'));
    const before = tf.memory().numTensors;
    const image = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const { recon, maskPred } = tf.tidy(() => sradForward(m, image, false));
    expect(recon.shape).toEqual([2, 32, 32, 3]);
    expect(maskPred.shape).toEqual([2, 32, 32, 2]);
    const [lo, hi, sumErr] = tf.tidy(() => [recon.min(), recon.max(), maskPred.sum(3).sub(1).abs().max()].map((t) => t.dataSync()[0]!));
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(sumErr).toBeLessThan(1e-5);
    tf.dispose([image, recon, maskPred]);
    expect(tf.memory().numTensors).toBe(before);
    disposeSrad(m);
  });

  it('round-trips both tiny networks through save/load by name with identical outputs', async () => {
    const m = buildSrad(sradPreset('tiny', { seed: 4 }));
    const rec2 = await roundTrip(m.reconstructive);
    const det2 = await roundTrip(m.discriminative);
    const image = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const a = tf.tidy(() => sradForward(m, image, false));
    const b = tf.tidy(() => sradForward({ reconstructive: rec2, discriminative: det2 }, image, false));
    expect(Array.from(b.recon.dataSync())).toEqual(Array.from(a.recon.dataSync()));
    expect(Array.from(b.maskPred.dataSync())).toEqual(Array.from(a.maskPred.dataSync()));
    expect(rec2.layers.map((l) => l.name)).toEqual(m.reconstructive.layers.map((l) => l.name));
    tf.dispose([image, a.recon, a.maskPred, b.recon, b.maskPred]);
    disposeSrad(m);
    rec2.dispose();
    det2.dispose();
  });

  it('initialises deterministically from the seed', () => {
    const w = (seed: number) => {
      const m = buildSrad(sradPreset('tiny', { seed }));
      const v = [m.reconstructive.getLayer('dec.up.0'), m.discriminative.getLayer('det.down.1.conv1')].map((l) =>
        Array.from(l.getWeights()[0]!.dataSync()),
      );
      disposeSrad(m);
      return v;
    };
    expect(w(3)).toEqual(w(3));
    expect(w(3)).not.toEqual(w(4));
  });
});

describe('srad/model encoder import', () => {
  it('copies a same-shaped HRNet encoder into enc.* and rejects another width with E_WEIGHTS', () => {
    const cfg = sradPreset('tiny', { seed: 1 });
    const m = buildSrad(cfg);
    const enc = buildHrnetEncoder(cfg.encoder, 32, 9);
    const n = loadSradEncoderWeights(m, enc);
    expect(n).toBe(enc.layers.filter((l) => l.weights.length > 0).length);
    expect(kernelOf(m.reconstructive, 'enc.stage3.0.fuse_layers.2.0.1.0')).toEqual(kernelOf(enc, 'stage3.0.fuse_layers.2.0.1.0'));
    const wider = buildHrnetEncoder({ ...cfg.encoder, width: 8 }, 32, 9);
    const err = thrownBy(() => loadSradEncoderWeights(m, wider));
    expect(isMadenetError(err) && err.code).toBe('E_WEIGHTS');
    [enc, wider].forEach((x) => x.dispose());
    disposeSrad(m);
  });
});
