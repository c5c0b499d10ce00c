/** Jest 30 + ts-jest ESM: run with NODE_OPTIONS=--experimental-vm-modules (see `npm test`). */
// test/gpu (webgpu parity) is opt-in: `npm run test:gpu` sets MADENET_TEST_GPU=1 (see test/setup/gpu-gate.cjs).
const gpu = process.env.MADENET_TEST_GPU === '1';
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: gpu ? ['/node_modules/'] : ['/node_modules/', '<rootDir>/test/gpu/'],
  setupFiles: ['<rootDir>/test/setup/plain-console.cjs'],
  globalSetup: '<rootDir>/test/setup/gpu-gate.cjs',
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  testTimeout: 120000,
  maxWorkers: 2,
};
