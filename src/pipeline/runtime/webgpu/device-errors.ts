// Turns what a WebGPU device reports (uncaptured errors, device loss) into coded madenet errors. Pure; the
// device glue (dawn.ts) records the events and tfjs-webgpu.ts throws at the next read-back.
import { MadenetError } from '../../core/errors.js';

/** A GPUError as recorded: its class name ('GPUOutOfMemoryError', 'GPUValidationError', ...) and message. */
export interface DeviceFault {
  kind: 'error' | 'lost';
  type: string;
  message: string;
}

const LIMIT_EXCEEDED = /exceeds the max(imum)? buffer size|maxStorageBufferBindingSize|maxBufferSize|binding size .* (larger|exceeds)/i;

/** One line naming the adapter and what to try, shared by the memory errors. */
const MEMORY_SUGGESTIONS = [
  'Lower --batch-size (every tensor command has it) or --image-size, so that each tensor fits.',
  'Check what else holds GPU memory (nvidia-smi), or run on the CPU with --backend wasm.',
];

export function deviceFaultError(fault: DeviceFault, adapterName: string): MadenetError {
  const msg = (fault.message.split('\n')[0] ?? '').trim().replace(/\.+$/, '');
  if (fault.kind === 'lost') {
    return new MadenetError('E_DEVICE_LOST', `The WebGPU device (${adapterName}) was lost: ${msg || fault.type}.`, {
      suggestions: [
        'A driver reset or a GPU fault ends the device; rerun the command (training resumes with --resume).',
        'Check the driver log (dmesg, nvidia-smi -q) or run on the CPU with --backend wasm.',
      ],
    });
  }
  if (fault.type === 'GPUOutOfMemoryError') {
    return new MadenetError('E_DEVICE_MEMORY', `The GPU (${adapterName}) ran out of memory: ${msg || 'allocation failed'}.`, {
      suggestions: MEMORY_SUGGESTIONS,
    });
  }
  if (LIMIT_EXCEEDED.test(fault.message)) {
    return new MadenetError(
      'E_DEVICE_MEMORY',
      `A tensor is larger than the GPU (${adapterName}) allows in one buffer: ${msg}.`,
      { suggestions: MEMORY_SUGGESTIONS },
    );
  }
  return new MadenetError('E_WEBGPU', `The WebGPU device (${adapterName}) reported ${fault.type}: ${msg}.`, {
    suggestions: ['This is likely a madenet or tfjs-backend-webgpu bug: please report it with `madenet doctor --json`.', 'Run on the CPU with --backend wasm meanwhile.'],
  });
}
