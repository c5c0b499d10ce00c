// The one table of process exit statuses, from the stable error code: scripts branch on these, so a code keeps its
// status across releases and wherever it is raised. Codes not listed (including ones added later) exit 1.

/** What each status means to a script; the README's "Exit status" table mirrors this. */
export const EXIT_STATUS = {
  /** Done. */
  ok: 0,
  /** Failed: the error's stable code and message say why (under --json: {error: {code, message, ...}}). */
  failure: 1,
  /** The command line is wrong: unknown command or flag, missing or malformed value (E_USAGE). Fix the call; do not retry. */
  usage: 2,
  /** Done, and an image was anomalous; only with --fail-on-anomaly (infer). */
  anomalies: 3,
  /** Busy: another run holds the lock on the output (E_LOCKED). Nothing was changed; retry later. sysexits' EX_TEMPFAIL. */
  busy: 75,
  /** Stopped by SIGINT (128 + 2) with work kept for --resume (E_INTERRUPTED); 128 + n for another signal n. */
  interrupted: 130,
} as const;

/** Codes whose status is not 1. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  E_USAGE: EXIT_STATUS.usage,
  E_LOCKED: EXIT_STATUS.busy,
  E_INTERRUPTED: EXIT_STATUS.interrupted,
};

/**
 * The exit status for an error code. `signalStatus` (128 + n) is honoured for E_INTERRUPTED only, so that a run
 * stopped by SIGTERM may exit 143; any other requested status is ignored, which keeps this table the only source.
 */
export function exitStatusFor(code: string, signalStatus?: number): number {
  if (code === 'E_INTERRUPTED' && signalStatus !== undefined && signalStatus > 128 && signalStatus < 160) return signalStatus;
  return STATUS_BY_CODE[code] ?? EXIT_STATUS.failure;
}
