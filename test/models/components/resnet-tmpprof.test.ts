import { it } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
it('prof', async () => {
  await tf.setBackend('cpu');
  let t = Date.now();
  const a = tf.truncatedNormal([3, 3, 256, 256], 0, 0.01, 'float32', 5);
  console.log('truncNormal 590k seeded', Date.now() - t); t = Date.now();
  const b = tf.randomUniform([3, 3, 256, 256], 0, 1, 'float32', 5);
  console.log('uniform seeded', Date.now() - t); t = Date.now();
  const c = tf.truncatedNormal([3, 3, 256, 256], 0, 0.01, 'float32');
  console.log('truncNormal unseeded', Date.now() - t); t = Date.now();
  const v = tf.variable(a);
  console.log('variable', Date.now() - t); t = Date.now();
  tf.dispose([a, b, c, v]);
});
