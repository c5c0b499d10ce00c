// The command-line options both SFAD frozen-feature benches take (node:util parseArgs form).
export const SFAD_BENCH_OPTIONS = {
  data: { type: 'string' },
  category: { type: 'string' },
  backbone: { type: 'string', default: 'random' },
  'image-size': { type: 'string' },
} as const;
