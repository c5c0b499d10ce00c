import * as tf from '@tensorflow/tfjs';
import { sfadAnomalyMap, sfadImageScore } from '../../src/pipeline/submodels/sfad/model/anomaly-map.js';
import { sfadPreset } from '../../src/pipeline/submodels/sfad/model/config.js';
import { buildSfad, disposeSfad, sfadFeatures, sfadPatchScores, sfadTrainableVariables } from '../../src/pipeline/submodels/sfad/model/model.js';
import { isMadenetError } from '../../src/pipeline/core/errors.js';
import { initRuntime } from '../../src/pipeline/runtime/backend.js';
import { webgpuMemory } from '../../src/pipeline/runtime/webgpu/tfjs-webgpu.js';
import { sfadTrainStep } from '../../src/pipeline/submodels/sfad/train/sfad-step.js';
import { describeGpu } from './gpu-gate.js';

/** Live tensors and GPU bytes (held by tensors, and by tfjs-backend-webgpu's buffer pool in all). */
function usage(): { tensors: number; bytesInUse: number; bytesAllocated: number } {
  const m = webgpuMemory();
  if (m === undefined) throw new Error('not on webgpu');
  return { tensors: tf.memory().numTensors, ...m };
}

describeGpu('webgpu memory: dispose discipline, device limits and synchronous reads', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'webgpu' });
  });

  it('keeps tensors and GPU bytes flat across training steps and inference batches (SFAD tiny, Adam)', async () => {
    const cfg = sfadPreset('tiny', { imageSize: 32, featureDim: 32, discriminatorHidden: 16 });
    const model = buildSfad(cfg, { seed: 3 });
    const vars = sfadTrainableVariables(model);
    const opt = tf.train.adam(1e-3);
    const images = (i: number): tf.Tensor4D => tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 100 + i) as tf.Tensor4D;
    const seen: ReturnType<typeof usage>[] = [];
    for (let i = 0; i < 4; i++) {
      const x = images(i);
      const f = sfadFeatures(model.extractor, x, cfg);
      await sfadTrainStep(model, opt, [...vars.adaptor, ...vars.discriminator], cfg, f, i);
      tf.dispose([x, f]);
      // An inference batch as infer runs it: features, scores, map, image score, read back, all freed.
      const y = images(10 + i);
      const outs = tf.tidy(() => {
        const map = sfadAnomalyMap(sfadPatchScores(model, sfadFeatures(model.extractor, y, cfg)), 32, cfg.smoothingSigma);
        return [map, sfadImageScore(map)];
      });
      await Promise.all(outs.map((t) => t.data()));
      tf.dispose([y, ...outs]);
      seen.push(usage());
    }
    // The first step creates Adam's slots; from then on nothing grows, on the host side or on the GPU.
    process.stderr.write(`webgpu memory per round: ${seen.map((s) => `${s.tensors} tensors, ${s.bytesInUse} B in use, ${s.bytesAllocated} B pooled`).join('; ')}\n`);
    for (const s of seen.slice(2)) expect(s).toEqual(seen[1]);
    opt.dispose();
    disposeSfad(model);
  });

  it('turns a tensor larger than the device allows into E_DEVICE_MEMORY, and the device keeps working', async () => {
    const info = await initRuntime({ backend: 'webgpu' });
    const limit = info.adapter?.limits.maxStorageBufferBindingSize ?? 0;
    // Real GPUs allow GiBs per binding; only a small limit (lavapipe: 128 MiB) can be crossed cheaply here.
    if (limit === 0 || limit > 2 ** 30) {
      process.stderr.write(`device-limit check skipped: maxStorageBufferBindingSize is ${limit} bytes\n`);
      return;
    }
    const before = tf.memory().numTensors;
    const big = tf.tidy(() => tf.fill([limit / 4 + 1024], 1).add(1));
    const err = await big.data().then(
      () => null,
      (e: unknown) => e,
    );
    big.dispose();
    expect(isMadenetError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'E_DEVICE_MEMORY' });
    expect((err as Error).message).toMatch(/larger than the GPU .* allows in one buffer/);
    expect((err as { suggestions: string[] }).suggestions.join(' ')).toMatch(/--batch-size/);
    expect(tf.memory().numTensors).toBe(before);
    const ok = tf.tensor1d([1, 2, 3]).mul(2);
    expect(Array.from(await ok.data())).toEqual([2, 4, 6]);
    ok.dispose();
  });

  it('refuses a synchronous read of GPU data with E_WEBGPU_SYNC_READ; uploaded or already-read data reads fine', async () => {
    const up = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    expect(Array.from(up.dataSync())).toEqual([1, 2, 3, 4]);
    // A matmul always runs on the GPU (small elementwise ops on CPU-held data may run on the CPU instead).
    const gpu = tf.matMul(up, up);
    expect(() => gpu.dataSync()).toThrow(expect.objectContaining({ code: 'E_WEBGPU_SYNC_READ' }));
    expect(Array.from(await gpu.data())).toEqual([7, 10, 15, 22]);
    expect(Array.from(gpu.dataSync())).toEqual([7, 10, 15, 22]);
    tf.dispose([up, gpu]);
  });
});
