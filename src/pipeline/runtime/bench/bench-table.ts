// Plain-text tables for the doctor report and the engine benchmark (shared by `madenet doctor` and
// `npm run bench:engine`). Formatting only: no measuring, no tensors.
import type { EngineBenchResult } from './engine-bench.js';

export function table(header: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
    .join('\n');
}

export function benchTable(b: EngineBenchResult): string {
  const names = Object.keys(b.backends);
  const py = b.pytorch.skipped === undefined ? b.pytorch : undefined;
  const columns = [...names, ...(py ? ['pytorch'] : [])];
  const get = (name: string, key: string): number | null => {
    if (name === 'pytorch') return (py as unknown as Record<string, number> | undefined)?.[key] ?? null;
    return (b.backends[name] as unknown as Record<string, number | null>)[key] ?? null;
  };
  const metric = (label: string, key: string): (string | number | null)[] => [label, ...columns.map((c) => get(c, key))];
  const lines = [
    table(
      ['metric', ...columns],
      [
        metric('threads', 'threads'),
        metric('matmul 512^3 GFLOP/s', 'matmulGflops'),
        metric('  (per CPU-second)', 'matmulGflopsCpu'),
        metric('conv 3x3 GFLOP/s', 'convGflops'),
        metric('  (per CPU-second)', 'convGflopsCpu'),
        metric('conv filter-grad GFLOP/s', 'convBackpropFilterGflops'),
        metric('  (per CPU-second)', 'convBackpropFilterGflopsCpu'),
        metric('conv input-grad GFLOP/s', 'convBackpropInputGflops'),
        metric('  (per CPU-second)', 'convBackpropInputGflopsCpu'),
        metric('U-Net train step ms', 'unetTrainStepMs'),
        metric('  (CPU ms)', 'unetTrainStepCpuMs'),
        metric('U-Net infer batch ms', 'unetInferMs'),
        metric('  (CPU ms)', 'unetInferCpuMs'),
      ],
    ),
  ];
  for (const [name, r] of Object.entries(b.ratioToPytorch)) {
    lines.push(
      `${name} / PyTorch: train step ${r.trainStep}x (CPU time ${r.trainStepCpu}x), inference ${r.infer}x (CPU time ${r.inferCpu}x)`,
    );
  }
  if (b.pytorch.skipped !== undefined) lines.push(`PyTorch reference skipped: ${b.pytorch.skipped}`);
  else lines.push(`PyTorch ${b.pytorch.torch} (python ${b.pytorch.python}) ran with ${Object.keys(b.pytorch.env).join(', ')} set.`);
  for (const [name, r] of Object.entries(b.backends)) {
    for (const s of r.skipped) lines.push(`${name}: skipped ${s}`);
    for (const n of r.notes ?? []) lines.push(`${name}: ${n}`);
    for (const [sub, v] of Object.entries(r.submodels)) {
      lines.push('skipped' in v ? `${name} ${sub}: skipped (${v.skipped})` : `${name} ${sub}: train step ${v.trainStepMs} ms, inference ${v.inferMs} ms`);
    }
  }
  for (const [name, why] of Object.entries(b.unavailable)) lines.push(`${name}: unavailable (${why})`);
  lines.push(`Reference U-Net: input ${b.unet.input.join('x')}, ${b.unet.params} parameters, ${b.unet.forwardGflop} GFLOP forward.`);
  return lines.join('\n');
}
