// One demo lane (demo-lanes.ts forks this file): runs the services it is sent, one at a time, on its own
// TensorFlow.js runtime, and answers each with the result, the CPU seconds it took and this process's total.
// Exits as soon as the parent disconnects (it finished, or it stopped on a signal: a step still running here must not
// go on writing into the demo's folder); the exit hook releases any lock the step held.
import { isMadenetError } from '../core/errors.js';
import { cpuSecondsSince } from '../runtime/cpu-time.js';
import { LANE_SERVICES, type LaneMessage, type LaneRequest } from './demo-lanes.js';

function reply(m: LaneMessage): void {
  process.send?.(m);
}

async function handle(req: LaneRequest): Promise<void> {
  const cpu0 = process.cpuUsage();
  const onProgress = (progress: unknown) => reply({ id: req.id, progress } as LaneMessage);
  try {
    const service = LANE_SERVICES[req.service] as (o: unknown) => Promise<unknown>;
    const result = await service({ ...req.options, onProgress });
    reply({ id: req.id, ok: true, result, cpuSeconds: cpuSecondsSince(cpu0), processCpuSeconds: cpuSecondsSince() });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const error = { code: isMadenetError(e) ? e.code : null, message: e.message, suggestions: isMadenetError(e) ? e.suggestions : [], ...(e.stack ? { stack: e.stack } : {}) };
    reply({ id: req.id, ok: false, error, cpuSeconds: cpuSecondsSince(cpu0), processCpuSeconds: cpuSecondsSince() });
  }
}

// One step at a time: the parent sends the next only after this one's reply, but a queue keeps that true anyway.
let queue: Promise<void> = Promise.resolve();
process.on('message', (req: LaneRequest) => {
  queue = queue.then(() => handle(req));
});
process.on('disconnect', () => process.exit(0));
