// Structural similarity as DRAEM / pytorch-ssim compute it: Gaussian window (sigma 1.5), zero padding,
// per channel, C1 = 0.01^2, C2 = 0.03^2 for data in [0,1]. Differentiable tensor maths only.
import * as tf from '@tensorflow/tfjs';
import { gaussianWindow, separableFilter } from './filters.js';

export const SSIM_C1 = 0.01 ** 2;
export const SSIM_C2 = 0.03 ** 2;

/**
 * x, y: [N,H,W,C] in [0,1] -> [N,H,W,C] SSIM map
 *   ((2 mu_x mu_y + C1)(2 s_xy + C2)) / ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2)),
 * with mu = G*x, s_x^2 = G*(x^2) - mu_x^2, s_xy = G*(xy) - mu_x mu_y and G the window over a zero border.
 */
export function ssimMap(x: tf.Tensor4D, y: tf.Tensor4D, windowSize = 11): tf.Tensor4D {
  return tf.tidy(() => {
    const c = x.shape[3];
    const stats = separableFilter(tf.concat([x, y, x.square(), y.square(), x.mul(y)], 3) as tf.Tensor4D, gaussianWindow(windowSize));
    const [mx, my, exx, eyy, exy] = tf.split(stats, [c, c, c, c, c], 3) as tf.Tensor4D[] as [
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor4D,
    ];
    const mxy = mx.mul(my);
    const mx2 = mx.square();
    const my2 = my.square();
    const num = mxy.mul(2).add(SSIM_C1).mul(exy.sub(mxy).mul(2).add(SSIM_C2));
    const den = mx2.add(my2).add(SSIM_C1).mul(exx.sub(mx2).add(eyy.sub(my2)).add(SSIM_C2));
    return num.div(den) as tf.Tensor4D;
  });
}
