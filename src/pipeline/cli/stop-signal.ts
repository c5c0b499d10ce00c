// The first SIGINT/SIGTERM stops any madenet command within a second: commands that stop gracefully (training
// after its step, infer after writing what it started) get that second through their own AbortSignal; then,
// or at a second signal, the process exits 130 and the exit hook removes every lock it still holds.
import { releaseHeldLocksSync } from '../artifacts/lock.js';

/** How long a graceful stop may take before the process exits anyway. */
export const STOP_GRACE_MS = 1000;
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface StopHandlers {
  /** Aborted at the first signal; commands pass it to their service. */
  signal: AbortSignal;
  dispose(): void;
}

export function installStopHandlers(onStop: (signal: string) => void = () => undefined): StopHandlers {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const exitNow = (signal: string): void => {
    releaseHeldLocksSync();
    process.stderr.write(`madenet: stopped by ${signal}.\n`);
    process.exit(130);
  };
  const handler = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) return exitNow(signal);
    controller.abort();
    process.exitCode = 130;
    onStop(signal);
    // Unref'd: a command that finishes its graceful stop first exits normally (with its own E_INTERRUPTED).
    timer = setTimeout(() => exitNow(signal), STOP_GRACE_MS);
    timer.unref();
  };
  for (const s of SIGNALS) process.on(s, handler);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const s of SIGNALS) process.off(s, handler);
      if (timer) clearTimeout(timer);
    },
  };
}
