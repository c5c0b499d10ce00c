// Repeat-and-take-the-median timing for the engine benchmarks: wall time and process CPU time, the latter
// because these machines are shared and a loaded core stretches wall time. No tensors here.

export interface Timing {
  /** Median wall milliseconds of the timed repetitions. */
  wallMs: number;
  /** Median process CPU milliseconds (all threads of the process, so > wall when several threads work). */
  cpuMs: number;
  reps: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Runs `fn` `warmup` times untimed, then `reps` times timed; a returned promise is awaited (GPU backends finish
 * their work only when a result is read back, which is asynchronous).
 */
export async function timeIt(fn: () => unknown, reps: number, warmup: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) await timeOnce(fn, wall, cpu);
  return { wallMs: median(wall), cpuMs: median(cpu), reps };
}

/** Like timeIt, but repeats until `budgetMs` of wall time is spent (at least `minReps` timed runs). */
export async function timeWithin(fn: () => unknown, budgetMs: number, minReps = 3): Promise<Timing> {
  await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  const start = performance.now();
  while (wall.length < minReps || performance.now() - start < budgetMs) await timeOnce(fn, wall, cpu);
  return { wallMs: median(wall), cpuMs: median(cpu), reps: wall.length };
}

/** One timed run of fn: its wall and process CPU milliseconds appended to `wall` and `cpu`. */
async function timeOnce(fn: () => unknown, wall: number[], cpu: number[]): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  wall.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
}

export function gflops(flops: number, ms: number): number {
  return Math.round((flops / (ms * 1e6)) * 10) / 10;
}
