// Process CPU time, user + system over every thread of this process: on a shared machine wall time stretches with
// the load, CPU time is what a step cost (the demo's and the benches' timings report both).

/** CPU seconds of this process since `start` (a process.cpuUsage() reading), or since it started. */
export function cpuSecondsSince(start?: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
}
