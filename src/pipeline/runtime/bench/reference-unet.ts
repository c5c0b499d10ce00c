// The engine benchmark's reference U-Net (mirrored in bench/engine/unet_reference.py for PyTorch): 4 levels
// 16-32-64-128, two (3x3 conv, BN, ReLU) per block, 2x2 max-pool, 2x2 stride-2 up-conv. TensorFlow.js only.
import * as tf from '@tensorflow/tfjs';

export const UNET_INPUT: [number, number, number, number] = [4, 128, 128, 3];
export const UNET_WIDTHS = [16, 32, 64, 128] as const;
/** Trainable parameters; the PyTorch twin has the same count. */
export const UNET_PARAMS = 482_771;

function block(x: tf.SymbolicTensor, filters: number, seed: number): tf.SymbolicTensor {
  let h = x;
  for (let i = 0; i < 2; i++) {
    h = tf.layers
      .conv2d({
        filters,
        kernelSize: 3,
        padding: 'same',
        useBias: false,
        kernelInitializer: tf.initializers.heNormal({ seed: seed + i }),
      })
      .apply(h) as tf.SymbolicTensor;
    h = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
  }
  return h;
}

/** [N,H,W,3] in [0,1] -> [N,H,W,3]; H and W multiples of 8. */
export function buildReferenceUnet(height = UNET_INPUT[1], width = UNET_INPUT[2]): tf.LayersModel {
  const input = tf.input({ shape: [height, width, 3] });
  const skips: tf.SymbolicTensor[] = [];
  let h: tf.SymbolicTensor = input;
  for (const [level, filters] of UNET_WIDTHS.entries()) {
    h = block(h, filters, 10 * level);
    if (level < UNET_WIDTHS.length - 1) {
      skips.push(h);
      h = tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(h) as tf.SymbolicTensor;
    }
  }
  for (let level = UNET_WIDTHS.length - 2; level >= 0; level--) {
    const filters = UNET_WIDTHS[level];
    h = tf.layers
      .conv2dTranspose({
        filters,
        kernelSize: 2,
        strides: 2,
        padding: 'same',
        kernelInitializer: tf.initializers.heNormal({ seed: 100 + level }),
      })
      .apply(h) as tf.SymbolicTensor;
    h = tf.layers.concatenate({ axis: -1 }).apply([h, skips[level]]) as tf.SymbolicTensor;
    h = block(h, filters, 200 + 10 * level);
  }
  const out = tf.layers
    .conv2d({ filters: 3, kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 300 }) })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'reference_unet' });
}

/** Forward multiply-adds x 2 of the convolutions (the bulk of the FLOPs; BN, ReLU and pooling excluded). */
export function referenceUnetForwardFlops(n = UNET_INPUT[0], height = UNET_INPUT[1], width = UNET_INPUT[2]): number {
  let flops = 0;
  let cin = 3;
  const conv = (h: number, w: number, k: number, ci: number, co: number): number => 2 * n * h * w * k * k * ci * co;
  const sizes: [number, number][] = [];
  for (const [level, filters] of UNET_WIDTHS.entries()) {
    const h = height >> level;
    const w = width >> level;
    sizes.push([h, w]);
    flops += conv(h, w, 3, cin, filters) + conv(h, w, 3, filters, filters);
    cin = filters;
  }
  for (let level = UNET_WIDTHS.length - 2; level >= 0; level--) {
    const [h, w] = sizes[level];
    const filters = UNET_WIDTHS[level];
    // A 2x2 stride-2 up-conv touches each output pixel with one tap.
    flops += 2 * n * h * w * cin * filters;
    flops += conv(h, w, 3, 2 * filters, filters) + conv(h, w, 3, filters, filters);
    cin = filters;
  }
  return flops + conv(height, width, 1, cin, 3);
}

export interface UnetTrainer {
  /** One Adam step on MSE(unet(x), x); returns the loss. */
  step(): Promise<number>;
  /** One inference batch (BN in inference mode); returns the output's first value to force completion. */
  infer(): Promise<number>;
  dispose(): void;
}

/** A U-Net, Adam(1e-3) and a fixed batch in [0,1] (a smooth pattern, so the loss is meaningful). */
export function createUnetTrainer(shape: [number, number, number, number] = UNET_INPUT): UnetTrainer {
  const [n, h, w] = shape;
  const model = buildReferenceUnet(h, w);
  const optimizer = tf.train.adam(1e-3);
  const x = tf.tidy(() => {
    const yy = tf.linspace(0, 1, h).reshape([1, h, 1, 1]);
    const xx = tf.linspace(0, 1, w).reshape([1, 1, w, 1]);
    const phase = tf.range(0, n * 3).reshape([n, 1, 1, 3]).mul(0.7);
    return tf.sin(yy.mul(9).add(xx.mul(5)).add(phase)).mul(0.5).add(0.5);
  });
  return {
    async step() {
      const loss = optimizer.minimize(
        () => tf.losses.meanSquaredError(x, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        true,
      );
      if (loss === null) throw new Error('Adam returned no loss.');
      // Read asynchronously: GPU backends cannot read synchronously in Node.
      const v = (await loss.data().finally(() => loss.dispose()))[0] as number;
      return v;
    },
    async infer() {
      const y = model.predict(x) as tf.Tensor;
      return (await y.data().finally(() => y.dispose()))[0] as number;
    },
    dispose() {
      model.dispose();
      optimizer.dispose();
      x.dispose();
    },
  };
}
