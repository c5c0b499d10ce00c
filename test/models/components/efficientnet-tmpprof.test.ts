import * as tf from '@tensorflow/tfjs';
import { buildEfficientNetBackbone } from '../../../src/models/components/efficientnet.js';
it('prof', async () => {
  console.log('backend', tf.getBackend());
  let t = Date.now(); let m = buildEfficientNetBackbone('b0', { imageSize: 64 }); console.log('b0 default', Date.now() - t); m.dispose();
  await tf.setBackend('cpu');
  t = Date.now(); m = buildEfficientNetBackbone('b0', { imageSize: 64 }); console.log('b0 cpu', Date.now() - t); m.dispose();
  t = Date.now(); const z = tf.truncatedNormal([5000000], 0, 1, 'float32', 3); console.log('tn 5M', Date.now() - t); z.dispose();
  t = Date.now(); const u = tf.randomUniform([5000000], 0, 1, 'float32', 3); console.log('ru 5M', Date.now() - t); u.dispose();
});
