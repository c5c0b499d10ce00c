// What a WebGPU adapter is (name, vendor, Dawn backend, limits, hardware or software) and, when Dawn finds none,
// why. Pure decisions on facts gathered by dawn.ts; no package import, no device.

/** The limits madenet reports and asks for (the ones tfjs-backend-webgpu raises to the adapter's maximum). */
export const REPORTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

export interface WebgpuAdapter {
  /** A human name: the driver's description, else the device string. */
  name: string;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** The Dawn backend it was found through ('vulkan', 'metal', 'd3d12'). */
  backend: string;
  /** A CPU rasteriser posing as a GPU (Mesa lavapipe/llvmpipe, SwiftShader, WARP): correct but slow. */
  software: boolean;
  /** What gave the software adapter away. */
  softwareReason?: string;
  limits: Partial<Record<(typeof REPORTED_LIMITS)[number], number>>;
  features: string[];
}

/** GPUAdapterInfo as Dawn's Node bindings give it (fields may be empty strings). */
export interface AdapterInfoFacts {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|softpipe|microsoft basic render|\bwarp\b/i;

/** Why this adapter is a software one, or undefined for a hardware GPU. */
export function softwareAdapterReason(info: AdapterInfoFacts): string | undefined {
  const text = `${info.device ?? ''} ${info.description ?? ''}`;
  const name = SOFTWARE_NAMES.exec(text)?.[0];
  if (name !== undefined) return `${name.toLowerCase()} is a software rasteriser that runs on the CPU`;
  if ((info.architecture ?? '').toLowerCase() === 'software') return 'its driver reports the architecture "software"';
  if (info.isFallbackAdapter === true) return 'Dawn marks it as a fallback (CPU) adapter';
  return undefined;
}

export function describeAdapter(
  info: AdapterInfoFacts,
  backend: string,
  limits: Record<string, unknown>,
  features: Iterable<string>,
): WebgpuAdapter {
  const reported: WebgpuAdapter['limits'] = {};
  for (const k of REPORTED_LIMITS) {
    const v = limits[k];
    if (typeof v === 'number') reported[k] = v;
  }
  const softwareReason = softwareAdapterReason(info);
  const description = (info.description ?? '').trim();
  const device = (info.device ?? '').trim();
  return {
    name: description || device || 'unnamed adapter',
    vendor: (info.vendor ?? '').trim() || 'unknown',
    architecture: (info.architecture ?? '').trim(),
    device,
    description,
    backend,
    software: softwareReason !== undefined,
    ...(softwareReason === undefined ? {} : { softwareReason }),
    limits: reported,
    features: [...features].sort(),
  };
}

/** The Dawn backend madenet asks for on each platform (Vulkan covers NVIDIA, AMD and Intel on Linux). */
export function dawnBackendFor(platform: NodeJS.Platform): 'vulkan' | 'metal' | 'd3d12' {
  if (platform === 'darwin') return 'metal';
  if (platform === 'win32') return 'd3d12';
  return 'vulkan';
}

/** What the machine offers Dawn on Linux: the Vulkan loader and the driver manifests (ICDs) it would read. */
export interface VulkanFacts {
  /** Path of libvulkan.so.1, or null when none was found. */
  loader: string | null;
  /** Driver manifest files (e.g. nvidia_icd.json, lvp_icd.x86_64.json). */
  icdFiles: string[];
  /** Where they were looked for. */
  icdDirs: string[];
}

/** Why Dawn returned no adapter, in terms a user can act on. */
export function noAdapterReason(backend: string, facts: VulkanFacts | null): string {
  if (backend !== 'vulkan' || facts === null) return `Dawn found no ${backend} adapter`;
  if (facts.loader === null) {
    return 'no Vulkan loader (libvulkan.so.1) on this machine: install libvulkan1 and a Vulkan driver';
  }
  if (facts.icdFiles.length === 0) {
    return `the Vulkan loader is installed (${facts.loader}) but no Vulkan driver manifest was found in ${facts.icdDirs.join(', ')}`;
  }
  const names = facts.icdFiles.map((f) => f.split('/').pop()).join(', ');
  return (
    `Dawn found no usable Vulkan adapter although drivers are listed (${names}): the driver may be too old for ` +
    'Dawn (Mesa lavapipe needs >= 25), or the GPU is not visible here (containers: --gpus all and ' +
    'NVIDIA_DRIVER_CAPABILITIES including graphics)'
  );
}

/** What to do about a missing adapter (doctor and E_BACKEND suggestions). */
export const NO_ADAPTER_SUGGESTIONS = [
  'GPU server: install the GPU vendor\'s Vulkan driver (NVIDIA: the proprietary driver ships nvidia_icd.json; AMD/Intel: mesa-vulkan-drivers) and libvulkan1; check with `vulkaninfo --summary`.',
  'CPU-only check of the webgpu path: ../shared/tools/vulkan-cpu.sh installs Mesa lavapipe >= 25 (slow; for parity tests).',
];
