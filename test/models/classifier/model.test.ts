import * as tf from '@tensorflow/tfjs';
import { isMadenetError } from '../../../src/pipeline/core/errors.js';
import { countTrainableParams } from '../../../src/models/components/conv.js';
import { classifierPreset } from '../../../src/models/classifier/config.js';
import { buildClassifier, buildEfficientNetBackbone, loadBackboneWeights } from '../../../src/models/classifier/model.js';
import { classifierProbs, classifierTop1 } from '../../../src/models/classifier/predict.js';
import { roundTrip } from '../../helpers/model-round-trip.js';
import { thrownBy } from '../../helpers/thrown.js';

describe('classifier/model', () => {
  it('builds the paper B4 classifier symbolically: [N,380,380,3] -> [N,K], torchvision parameters with a K-way head', () => {
    const m = buildClassifier(classifierPreset('paper'), 5);
    expect(m.inputs[0]!.shape).toEqual([null, 380, 380, 3]);
    expect(m.outputs[0]!.shape).toEqual([null, 5]);
    // torchvision efficientnet_b4: 19,341,616 with a 1792 -> 1000 linear layer.
    expect(countTrainableParams(m)).toBe(19341616 - (1792 * 1000 + 1000) + 1792 * 5 + 5);
    expect(m.getLayer('head_drop').getConfig()).toMatchObject({ rate: 0.4 });
    m.dispose();
  });

  it('runs tiny: probabilities sum to 1, top-1 is read back, no leaked tensors', async () => {
    const m = buildClassifier(classifierPreset('tiny'), 3);
    const before = tf.memory().numTensors;
    const x = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const p = classifierProbs(m, x);
    expect(p.shape).toEqual([4, 3]);
    const sums = tf.tidy(() => Array.from(p.sum(1).dataSync()));
    sums.forEach((s) => expect(s).toBeCloseTo(1, 5));
    const top = await classifierTop1(p);
    expect(top.index.length).toBe(4);
    const rows = p.arraySync() as number[][];
    rows.forEach((r, i) => expect(top.confidence[i]).toBeCloseTo(Math.max(...r), 6));
    tf.dispose([x, p]);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('round-trips (custom normalisation and dropout layers included) with identical outputs', async () => {
    // depthMult 0.5 gives stage 3 a second (residual) block, so a drop-path layer exists.
    const m = buildClassifier(classifierPreset('tiny', { dropRate: 0.2, backbone: { depthMult: 0.5, dropPathRate: 0.1 }, seed: 3 }), 4);
    const names = m.layers.map((l) => l.getClassName());
    expect(names).toContain('MadenetImagenetNormalization');
    expect(names).toContain('MadenetSeededDrop');
    const back = await roundTrip(m);
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const a = classifierProbs(m, x);
    const b = classifierProbs(back, x);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(back.getLayer('blocks.3.1.drop_path').getConfig()).toMatchObject({ perSample: true, seed: m.getLayer('blocks.3.1.drop_path').getConfig().seed });
    expect(back.getLayer('head_drop').getConfig()).toMatchObject({ rate: 0.2, perSample: false });
    tf.dispose([x, a, b]);
    m.dispose();
    back.dispose();
  });

  it('copies a backbone into the classifier by layer name and rejects another variant with E_WEIGHTS', () => {
    const cfg = classifierPreset('tiny', { seed: 1 });
    const clf = buildClassifier(cfg, 3);
    const bb = buildEfficientNetBackbone(cfg.backbone, { imageSize: 32, seed: 2 });
    const report = loadBackboneWeights(clf, bb);
    expect(report.missing).toEqual(['classifier']);
    expect(report.copied).toContain('blocks.3.0.se.conv_expand');
    const w = (m: tf.LayersModel) => Array.from(m.getLayer('blocks.3.0.conv_dw').getWeights()[0]!.dataSync());
    expect(w(clf)).toEqual(w(bb));
    const b0 = buildEfficientNetBackbone('b0', { imageSize: 32 });
    const err = thrownBy(() => loadBackboneWeights(clf, b0));
    expect(isMadenetError(err) && err.code).toBe('E_WEIGHTS');
    [clf, bb, b0].forEach((m) => m.dispose());
  });

  it('rejects fewer than two classes with E_CONFIG', () => {
    expect(() => buildClassifier(classifierPreset('tiny'), 1)).toThrow(/numClasses/);
  });
});
