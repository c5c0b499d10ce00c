// The pure parts of the webgpu runtime, which run everywhere (no adapter needed): recognising software adapters,
// explaining a missing adapter, and turning device faults into coded errors.
import { describeAdapter, dawnBackendFor, noAdapterReason, softwareAdapterReason } from '../../../src/pipeline/runtime/webgpu/adapter.js';
import { deviceFaultError } from '../../../src/pipeline/runtime/webgpu/device-errors.js';
import { webgpuProviderMissing, sessionProviders, parseExecutionProvider } from '../../../src/pipeline/engines/execution-provider.js';

const LAVAPIPE = { vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)', isFallbackAdapter: true };
const NVIDIA = { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100 80GB HBM3', isFallbackAdapter: false };

describe('webgpu adapters', () => {
  it('tells software adapters (lavapipe, SwiftShader, fallback) from GPUs, and says why', () => {
    expect(softwareAdapterReason(LAVAPIPE)).toMatch(/llvmpipe is a software rasteriser/);
    expect(softwareAdapterReason({ description: 'SwiftShader Device (Subzero)' })).toMatch(/swiftshader/);
    expect(softwareAdapterReason({ vendor: 'x', architecture: 'software' })).toMatch(/architecture "software"/);
    expect(softwareAdapterReason({ description: 'Some GPU', isFallbackAdapter: true })).toMatch(/fallback/);
    expect(softwareAdapterReason(NVIDIA)).toBeUndefined();
    expect(softwareAdapterReason({ vendor: 'amd', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' })).toBeUndefined();
  });

  it('describes an adapter with its reported limits only, features sorted', () => {
    const a = describeAdapter(NVIDIA, 'vulkan', { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 31, maxTextureDimension2D: 16384, bogus: 'x' }, ['timestamp-query', 'shader-f16']);
    expect(a).toEqual({
      name: 'NVIDIA H100 80GB HBM3',
      vendor: 'nvidia',
      architecture: 'hopper',
      device: '',
      description: 'NVIDIA H100 80GB HBM3',
      backend: 'vulkan',
      software: false,
      limits: { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 31 },
      features: ['shader-f16', 'timestamp-query'],
    });
    expect(describeAdapter(LAVAPIPE, 'vulkan', {}, [])).toMatchObject({ software: true, softwareReason: expect.stringMatching(/llvmpipe/) });
  });

  it('asks Dawn for Vulkan on Linux, Metal on macOS, D3D12 on Windows', () => {
    expect(dawnBackendFor('linux')).toBe('vulkan');
    expect(dawnBackendFor('darwin')).toBe('metal');
    expect(dawnBackendFor('win32')).toBe('d3d12');
  });

  it('explains a missing adapter by what the Vulkan loader would find', () => {
    expect(noAdapterReason('vulkan', { loader: null, icdFiles: [], icdDirs: ['/usr/share/vulkan/icd.d'] })).toMatch(/no Vulkan loader \(libvulkan\.so\.1\)/);
    expect(noAdapterReason('vulkan', { loader: '/usr/lib/libvulkan.so.1', icdFiles: [], icdDirs: ['/usr/share/vulkan/icd.d'] })).toMatch(/no Vulkan driver manifest was found in \/usr\/share\/vulkan\/icd\.d/);
    expect(noAdapterReason('vulkan', { loader: '/l', icdFiles: ['/usr/share/vulkan/icd.d/nvidia_icd.json'], icdDirs: [] })).toMatch(/drivers are listed \(nvidia_icd\.json\).*NVIDIA_DRIVER_CAPABILITIES/);
    expect(noAdapterReason('metal', null)).toBe('Dawn found no metal adapter');
  });
});

describe('webgpu device faults', () => {
  it('maps out-of-memory, over-limit buffers, device loss and other errors to stable codes', () => {
    const oom = deviceFaultError({ kind: 'error', type: 'GPUOutOfMemoryError', message: 'Allocation failed.\n - While calling CreateBuffer' }, 'GPU X');
    expect(oom).toMatchObject({ code: 'E_DEVICE_MEMORY', message: 'The GPU (GPU X) ran out of memory: Allocation failed.' });
    expect(oom.suggestions.join(' ')).toMatch(/--batch-size/);
    const limit = deviceFaultError({ kind: 'error', type: 'GPUValidationError', message: 'Binding size (134221824) of [Buffer] is larger than the maximum storage buffer binding size (134217728).' }, 'lavapipe');
    expect(limit.code).toBe('E_DEVICE_MEMORY');
    expect(deviceFaultError({ kind: 'error', type: 'GPUValidationError', message: 'Buffer size (8589934592) exceeds the max buffer size limit (268435456).' }, 'g').code).toBe('E_DEVICE_MEMORY');
    expect(deviceFaultError({ kind: 'lost', type: 'unknown', message: 'Device reset' }, 'g')).toMatchObject({ code: 'E_DEVICE_LOST', message: expect.stringContaining('was lost: Device reset') });
    expect(deviceFaultError({ kind: 'error', type: 'GPUValidationError', message: 'Invalid BindGroup' }, 'g').code).toBe('E_WEBGPU');
  });
});

describe('onnxruntime webgpu execution provider', () => {
  it('parses webgpu, keeps cpu behind it, and names a missing Vulkan loader or driver', () => {
    expect(parseExecutionProvider('webgpu')).toBe('webgpu');
    expect(sessionProviders('webgpu')).toEqual(['webgpu', 'cpu']);
    expect(webgpuProviderMissing({ loader: null, icdFiles: [], icdDirs: [] })).toMatchObject({ code: 'E_EXECUTION_PROVIDER', message: expect.stringMatching(/Vulkan loader \(libvulkan\.so\.1\)/) });
    expect(webgpuProviderMissing({ loader: '/l', icdFiles: [], icdDirs: ['/etc/vulkan/icd.d'] })?.message).toMatch(/a Vulkan driver \(no manifest in \/etc\/vulkan\/icd\.d\)/);
    expect(webgpuProviderMissing({ loader: '/l', icdFiles: ['/x/lvp_icd.json'], icdDirs: [] })).toBeNull();
    expect(webgpuProviderMissing(null)).toBeNull();
  });
});
