import * as tf from '@tensorflow/tfjs';
import { countTrainableParams } from '../../../src/models/components/conv.js';
import { unetBody, unetInputDivisor } from '../../../src/models/components/unet.js';

describe('components/unet', () => {
  it('keeps full resolution with base channels, concatenates [skip, up], and has the hand-counted parameters', () => {
    const before = tf.memory().numTensors;
    const x = tf.input({ shape: [16, 16, 6] });
    const m = tf.model({ inputs: x, outputs: unetBody(x, { baseChannels: 4, depth: 2 }, 'u.', 0) });
    expect(m.outputs[0]!.shape).toEqual([null, 16, 16, 4]);
    // down0 6->4->4: 216+8+144+8; down1 4->8->8: 288+16+576+16; down2 8->16->16: 1152+32+2304+32;
    // up1: conv0 16->8 (1152+16), 16->8 (1152+16), 8->8 (576+16); up0: conv0 8->4 (288+8), 8->4 (288+8), 4->4 (144+8)
    expect(countTrainableParams(m)).toBe(376 + 896 + 3520 + 2928 + 744);
    const concat = m.getLayer('u.up.1.concat');
    expect((concat.input as tf.SymbolicTensor[]).map((t) => t.shape[3])).toEqual([8, 8]);
    expect(unetInputDivisor({ baseChannels: 4, depth: 2 })).toBe(4);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
