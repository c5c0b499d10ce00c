// A progress bar on stderr (cli-progress) shown only when stderr is a terminal and --json is off;
// otherwise every method is a no-op, so stdout carries results only and pipes/CI logs stay clean.
import cliProgress from 'cli-progress';

export interface Progress {
  /** Sets the current value (and optional payload fields shown after the bar, e.g. {loss: '0.12'}). */
  update(value: number, payload?: Record<string, unknown>): void;
  increment(payload?: Record<string, unknown>): void;
  /** Changes the total when it becomes known (or grows). */
  setTotal(total: number): void;
  stop(): void;
  /** Whether a bar is really drawn. */
  readonly active: boolean;
}

export interface ProgressOptions {
  total?: number;
  label: string;
  json: boolean;
  /** Where to draw; default process.stderr. Never stdout. */
  stream?: NodeJS.WriteStream;
  /** Payload keys shown after the counts, in this order. */
  fields?: string[];
}

const NOOP: Progress = { update() {}, increment() {}, setTotal() {}, stop() {}, active: false };

export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  if (opts.json || !stream.isTTY || process.env.MADENET_NO_PROGRESS) return NOOP;
  const counts = opts.total === undefined ? '{value}' : '{value}/{total} {percentage}% eta {eta_formatted}';
  const extra = (opts.fields ?? []).map((f) => ` ${f} {${f}}`).join('');
  const bar = new cliProgress.SingleBar({
    format: `${opts.label} [{bar}] ${counts}${extra}`,
    stream,
    hideCursor: true,
    clearOnComplete: false,
    barsize: 30,
    fps: 5,
  });
  const blank = Object.fromEntries((opts.fields ?? []).map((f) => [f, '']));
  bar.start(opts.total ?? 0, 0, blank);
  let stopped = false;
  return {
    update: (value, payload) => bar.update(value, payload ?? {}),
    increment: (payload) => bar.increment(1, payload ?? {}),
    setTotal: (total) => bar.setTotal(total),
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
    active: true,
  };
}
