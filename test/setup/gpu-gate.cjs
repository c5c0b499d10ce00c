// Jest globalSetup: decides once per run whether the webgpu parity tests (test/gpu) run, and says so in ONE line
// when they do not. They are opt-in (MADENET_TEST_GPU=1, which `npm run test:gpu` sets) because on a software
// adapter (Mesa lavapipe, ~0.5 GFLOP/s) their first run compiles every shader: minutes, not seconds.
// With MADENET_TEST_GPU=1 and no adapter, the reason goes to the test files through MADENET_GPU_SKIP.
module.exports = async () => {
  if (process.env.MADENET_TEST_GPU !== '1') {
    process.stderr.write('\nwebgpu parity tests (test/gpu) skipped: opt-in, run `npm run test:gpu` or set MADENET_TEST_GPU=1.\n');
    return;
  }
  const reason = await adapterAbsence();
  if (reason !== null) {
    process.env.MADENET_GPU_SKIP = reason;
    process.stderr.write(`\nwebgpu parity tests (test/gpu) skipped: ${reason} (\`madenet doctor\` says why).\n`);
  }
};

/** null when Dawn finds an adapter; otherwise why not (the same probe the runtime makes, without TypeScript). */
async function adapterAbsence() {
  let dawn;
  try {
    dawn = await import('webgpu');
  } catch (e) {
    return `the webgpu package does not load (${e.code ?? e.message})`;
  }
  const backend = process.platform === 'darwin' ? 'metal' : process.platform === 'win32' ? 'd3d12' : 'vulkan';
  try {
    const adapter = await dawn.create([`backend=${backend}`]).requestAdapter({ powerPreference: 'high-performance' });
    return adapter === null ? `no WebGPU adapter (Dawn, ${backend})` : null;
  } catch (e) {
    return `Dawn could not look for an adapter: ${e.message}`;
  }
}
