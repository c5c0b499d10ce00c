// Registers tfjs-backend-webgpu on the Dawn device from dawn.ts, under the name 'webgpu', and guards it: device
// faults become coded errors at the next read-back, and a synchronous GPU read (which tfjs can only do through
// a browser canvas) fails with a clear message instead of "OffscreenCanvas is not defined".
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { MadenetError } from '../../core/errors.js';
import { type DawnDevice, type DawnProbe, dawnDevice, takeDeviceFault } from './dawn.js';
import { deviceFaultError } from './device-errors.js';
import { registerWebgpuKernels } from './kernels.js';

/** tfjs-backend-webgpu 4.22 internals this module touches (read from dist/backend_webgpu.js). */
interface WebgpuBackendInternals {
  tensorMap: { get(dataId: object): { values?: unknown; dtype: string; complexTensorInfos?: unknown } | undefined };
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
}

export const PINNED_WEBGPU_BACKEND_VERSION = /^4\.22\./;

let registered: DawnDevice | undefined;

export function webgpuBackendVersion(): string {
  try {
    return (createRequire(import.meta.url)('@tensorflow/tfjs-backend-webgpu/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Makes `tf.setBackend('webgpu')` start tfjs-backend-webgpu on Dawn's device; the probe result says why not
 * when there is no adapter. Idempotent. Registered below wasm's priority so that nothing picks it implicitly.
 */
export async function registerWebgpuBackend(): Promise<DawnProbe> {
  const dawn = await dawnDevice();
  if (!('device' in dawn) || registered !== undefined) return dawn;
  const version = webgpuBackendVersion();
  if (!PINNED_WEBGPU_BACKEND_VERSION.test(version)) {
    return { reason: `tfjs-backend-webgpu ${version} is installed; madenet was checked against 4.22.x` };
  }
  // Imported before navigator.gpu exists, so that the package does not register its own factory (which would
  // ask Dawn for a second device); its kernels register either way.
  const wg = (await import('@tensorflow/tfjs-backend-webgpu')) as { WebGPUBackend: new (device: unknown, info: unknown) => tf.KernelBackend };
  registerWebgpuKernels();
  exposeNavigatorGpu(dawn.gpu);
  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => guard(new wg.WebGPUBackend(dawn.device, dawn.adapterInfo), dawn), 1);
  registered = dawn;
  return dawn;
}

/** tfjs-backend-webgpu checks navigator.gpu in its constructor; Node 20 has no navigator, Node 21+ one without gpu. */
function exposeNavigatorGpu(gpu: unknown): void {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else if (g.navigator.gpu === undefined) {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  }
}

function guard(backend: tf.KernelBackend, dawn: DawnDevice): tf.KernelBackend {
  const b = backend as unknown as WebgpuBackendInternals;
  const readSync = b.readSync.bind(b);
  b.readSync = (dataId) => {
    const d = b.tensorMap.get(dataId);
    // Values already on the CPU (uploads, small CPU-forwarded results) read fine; GPU buffers cannot.
    if (d === undefined || d.values != null || d.dtype === 'string' || d.complexTensorInfos != null) return readSync(dataId);
    throw new MadenetError(
      'E_WEBGPU_SYNC_READ',
      'A synchronous read (dataSync/arraySync) of a tensor that lives on the GPU: tfjs-backend-webgpu can only read GPU data asynchronously in Node (data()/array()).',
      { suggestions: ['This is a madenet bug: please report the command. Meanwhile run with --backend wasm.'] },
    );
  };
  const read = b.read.bind(b);
  b.read = async (dataId) => {
    let values: unknown;
    try {
      values = await read(dataId);
    } catch (e) {
      throw (await faultAfter(dawn)) ?? e;
    }
    const fault = await faultAfter(dawn);
    if (fault) throw fault;
    return values;
  };
  return backend;
}

/** A device fault recorded by the time a read-back finished (one macrotask later: Dawn delivers errors as events). */
async function faultAfter(dawn: DawnDevice): Promise<MadenetError | undefined> {
  let fault = takeDeviceFault();
  if (fault === undefined) {
    await new Promise((r) => setImmediate(r));
    fault = takeDeviceFault();
  }
  return fault === undefined ? undefined : deviceFaultError(fault, dawn.adapter.name);
}

/** GPU memory as tfjs-backend-webgpu counts it: bytes held by live tensors, and by its buffer pool in all. */
export function webgpuMemory(): { bytesInUse: number; bytesAllocated: number } | undefined {
  const m = tf.memory() as { numBytesInGPU?: number; numBytesAllocatedInGPU?: number };
  if (tf.getBackend() !== 'webgpu' || m.numBytesInGPU === undefined) return undefined;
  return { bytesInUse: m.numBytesInGPU, bytesAllocated: m.numBytesAllocatedInGPU ?? m.numBytesInGPU };
}
