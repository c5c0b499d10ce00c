// Loads Dawn's Node bindings (the optional `webgpu` package) on first use, finds the adapter, opens one device
// per process and records what the device reports (uncaptured errors, loss). Knows nothing of tfjs.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  type AdapterInfoFacts,
  type VulkanFacts,
  type WebgpuAdapter,
  REPORTED_LIMITS,
  dawnBackendFor,
  describeAdapter,
  noAdapterReason,
} from './adapter.js';
import type { DeviceFault } from './device-errors.js';

/** The slice of the WebGPU API madenet touches (the full types live in @webgpu/types, not a dependency here). */
export interface GpuDeviceLike {
  readonly limits: Record<string, unknown>;
  readonly features: ReadonlySet<string>;
  readonly lost: Promise<{ reason: string; message: string }>;
  addEventListener(type: 'uncapturederror', fn: (e: { error: { message: string; constructor: { name: string } }; preventDefault(): void }) => void): void;
  destroy(): void;
}
interface GpuAdapterLike {
  readonly info: AdapterInfoFacts;
  readonly limits: Record<string, unknown>;
  readonly features: ReadonlySet<string>;
  requestDevice(descriptor: { requiredLimits?: Record<string, number>; requiredFeatures?: string[] }): Promise<GpuDeviceLike>;
}
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}
interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

export interface DawnDevice {
  gpu: GpuLike;
  device: GpuDeviceLike;
  /** The adapter's GPUAdapterInfo, as tfjs-backend-webgpu wants it. */
  adapterInfo: AdapterInfoFacts;
  adapter: WebgpuAdapter;
  /** The `webgpu` package version. */
  version: string;
}

export type DawnProbe = DawnDevice | { reason: string };

let probe: Promise<DawnProbe> | undefined;
let pendingFault: DeviceFault | undefined;

/**
 * The process's one WebGPU device, or why there is none (cached: an adapter gives out one device, and Dawn's
 * instance must outlive it). Also installs the WebGPU globals (GPUBufferUsage, ...) tfjs-backend-webgpu reads.
 */
export function dawnDevice(): Promise<DawnProbe> {
  probe ??= openDevice();
  return probe;
}

/** The first fault the device reported since the last call (then forgotten), if any. */
export function takeDeviceFault(): DeviceFault | undefined {
  const f = pendingFault;
  pendingFault = undefined;
  return f;
}

async function openDevice(): Promise<DawnProbe> {
  let mod: DawnModule;
  let version = 'unknown';
  try {
    // A variable specifier: the package is optional.
    const specifier: string = 'webgpu';
    mod = (await import(specifier)) as DawnModule;
    version = packageVersion('webgpu');
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      return { reason: 'the webgpu package (Dawn\'s Node bindings, an optional dependency) is not installed' };
    }
    return { reason: `the webgpu package failed to load: ${(e as Error).message}` };
  }
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  const backend = dawnBackendFor(process.platform);
  let gpu: GpuLike;
  let adapter: GpuAdapterLike | null;
  try {
    gpu = mod.create([`backend=${backend}`]);
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { reason: `Dawn could not look for a ${backend} adapter: ${(e as Error).message}` };
  }
  if (adapter === null) return { reason: noAdapterReason(backend, backend === 'vulkan' ? vulkanFacts() : null) };
  const info = adapter.info;
  const described = describeAdapter(info, backend, adapter.limits, adapter.features);
  // As tfjs-backend-webgpu's own factory: the limits big tensors need, raised to what the adapter offers.
  const requiredLimits: Record<string, number> = {};
  for (const k of REPORTED_LIMITS) {
    const v = adapter.limits[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  let device: GpuDeviceLike;
  try {
    device = await adapter.requestDevice({ requiredLimits });
  } catch (e) {
    return { reason: `the ${described.name} adapter refused a device: ${(e as Error).message}` };
  }
  // Recorded and reported at the next read-back (tfjs-webgpu.ts). preventDefault keeps Dawn from also printing
  // the error on stdout, which would corrupt --json output.
  device.addEventListener('uncapturederror', (e) => {
    e.preventDefault();
    pendingFault ??= { kind: 'error', type: e.error.constructor.name, message: e.error.message };
  });
  void device.lost.then((l) => {
    if (l.reason !== 'destroyed') pendingFault = { kind: 'lost', type: l.reason, message: l.message };
  });
  return { gpu, device, adapterInfo: info, adapter: described, version };
}

function packageVersion(name: string): string {
  try {
    const req = createRequire(import.meta.url);
    return (req(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * The kernel device nodes a hardware GPU shows up as on Linux (DRM render nodes, NVIDIA's, WSL's dxg). Without
 * any, every Vulkan adapter is a software one, so `auto` need not load Dawn to know (it costs time and prints
 * driver warnings on stderr). null off Linux, where the question does not arise.
 */
export function gpuDeviceNodes(): string[] | null {
  if (process.platform !== 'linux') return null;
  const found: string[] = [];
  try {
    if (readdirSync('/dev/dri').some((f) => f.startsWith('renderD') || f.startsWith('card'))) found.push('/dev/dri');
  } catch {
    // no DRM devices
  }
  try {
    found.push(...readdirSync('/dev').filter((f) => /^nvidia\d+$|^dxg$/.test(f)).map((f) => `/dev/${f}`));
  } catch {
    // unreadable /dev
  }
  return found;
}

const LOADER_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64', '/usr/local/lib'];
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

/** Where the Vulkan loader and its driver manifests are (the loader's own search order, simplified). */
export function vulkanFacts(env: NodeJS.ProcessEnv = process.env): VulkanFacts {
  const libDirs = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LOADER_DIRS];
  const loader = libDirs.map((d) => join(d, 'libvulkan.so.1')).find((p) => existsSync(p)) ?? null;
  const explicit = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  if (explicit) {
    const files = explicit.split(':').filter(Boolean);
    return { loader, icdFiles: files.filter((f) => existsSync(f)), icdDirs: ['VK_DRIVER_FILES/VK_ICD_FILENAMES'] };
  }
  const dirs = [...(env.XDG_DATA_HOME ? [join(env.XDG_DATA_HOME, 'vulkan/icd.d')] : []), ...ICD_DIRS];
  const icdFiles: string[] = [];
  for (const d of dirs) {
    try {
      for (const f of readdirSync(d)) if (f.endsWith('.json')) icdFiles.push(join(d, f));
    } catch {
      // absent directory
    }
  }
  return { loader, icdFiles, icdDirs: dirs };
}
