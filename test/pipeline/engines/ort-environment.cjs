// Jest environment for tests that call onnxruntime-node in-process. The native binding returns typed arrays
// of Node's own realm, and onnxruntime-common checks `data instanceof Float32Array` in the test's vm realm,
// which fails ("A float32 tensor's data must be type of Float32Array"). Jest already shares ArrayBuffer and
// Uint8Array with the outer realm; this shares the other typed arrays too. Use with the docblock
// `@jest-environment ./test/pipeline/engines/ort-environment.cjs`.
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'Int8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'DataView',
];

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtEnvironment;
