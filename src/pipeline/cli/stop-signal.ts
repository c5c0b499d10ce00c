// The first SIGINT/SIGTERM stops any madenet command within a second: commands that stop gracefully (training
// after its step, infer after writing what it started) get that second through their own AbortSignal; then,
// or at a second signal, the process exits 128 + the signal's number (130 for SIGINT, 143 for SIGTERM, as the
// exit-status table says) and the exit hook removes every lock it still holds.
import { constants } from 'node:os';
import { releaseHeldLocksSync } from '../artifacts/lock.js';

/** How long a graceful stop may take before the process exits anyway. */
export const STOP_GRACE_MS = 1000;
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface StopHandlers {
  /** Aborted at the first signal; commands may pass it to their service. */
  signal: AbortSignal;
  dispose(): void;
}

export function installStopHandlers(onStop: (signal: NodeJS.Signals) => void = () => undefined): StopHandlers {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const status = (signal: NodeJS.Signals): number => 128 + (constants.signals[signal] ?? 2);
  const exitNow = (signal: NodeJS.Signals): void => {
    releaseHeldLocksSync();
    process.stderr.write(`madenet: stopped by ${signal}.\n`);
    process.exit(status(signal));
  };
  const handler = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) return exitNow(signal);
    controller.abort();
    process.exitCode = status(signal);
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
