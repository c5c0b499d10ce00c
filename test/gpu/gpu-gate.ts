// test/gpu runs only when asked (MADENET_TEST_GPU=1) and when Dawn finds an adapter; test/setup/gpu-gate.cjs
// decides once per run and prints the one line that says why not. Here the files only read its verdict.
export const GPU_SKIP_REASON = process.env.MADENET_GPU_SKIP;

/** describe, or describe.skip when there is no adapter (the reason was already printed once). */
export const describeGpu: typeof describe = GPU_SKIP_REASON ? describe.skip : describe;
