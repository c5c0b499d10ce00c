// Progress on stderr, never stdout: a redrawn bar on a terminal, plain occasional lines where escape codes are not
// understood (TERM=dumb) or asked for (MADENET_PROGRESS=lines, --verbose: log files), nothing under --json, --quiet,
// MADENET_NO_PROGRESS or when stderr is not a terminal (pipes and CI logs stay clean). Rates and ETAs are computed here.

export interface Progress {
  /** Sets the current value (and optional payload fields shown after the counts, e.g. {loss: '0.12'}). */
  update(value: number, payload?: ProgressPayload): void;
  increment(payload?: ProgressPayload): void;
  /** Changes the total when it becomes known (or grows). */
  setTotal(total: number): void;
  /** Prints a line of its own (a warning, a step) without garbling the bar. */
  log(message: string): void;
  stop(): void;
  /** Whether anything is drawn or printed. */
  readonly active: boolean;
  readonly mode: ProgressMode;
}

/** Field values shown as `name value`; `rate` (units per second, e.g. images/s from a trainer) replaces the measured rate. */
export type ProgressPayload = Record<string, unknown> & { rate?: number };

export type ProgressMode = 'bar' | 'lines' | 'off';

export interface ProgressOptions {
  total?: number;
  label: string;
  json: boolean;
  /** Where to draw; default process.stderr. Never stdout. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Payload keys shown after the counts, in this order. */
  fields?: string[];
  /** What the rate counts, e.g. 'img' gives `12.3 img/s`; no rate is shown without it. */
  unit?: string;
  /** Environment deciding the mode (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Milliseconds between plain lines (default 10 s) and between bar redraws (default 100 ms). */
  lineIntervalMs?: number;
  redrawIntervalMs?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

let verbosity: 'quiet' | 'normal' | 'verbose' = 'normal';

/** The global --quiet (no progress anywhere in this process) and --verbose (plain lines where no bar can be drawn). */
export function setProgressVerbosity(value: 'quiet' | 'normal' | 'verbose'): void {
  verbosity = value;
}

/** True for set values other than '', '0' and 'false', as for other boolean env switches. */
function envFlag(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

export function progressMode(opts: { json: boolean; stream: { isTTY?: boolean }; env: NodeJS.ProcessEnv }): ProgressMode {
  const { env } = opts;
  if (opts.json || verbosity === 'quiet' || envFlag(env.MADENET_NO_PROGRESS) || env.MADENET_PROGRESS === 'off') return 'off';
  if (env.MADENET_PROGRESS === 'lines') return 'lines';
  if (!opts.stream.isTTY) return verbosity === 'verbose' ? 'lines' : 'off';
  return env.TERM === 'dumb' ? 'lines' : 'bar';
}

const NOOP: Progress = { update() {}, increment() {}, setTotal() {}, log() {}, stop() {}, active: false, mode: 'off' };
const BAR_WIDTH = 24;

export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  const mode = progressMode({ json: opts.json, stream, env: opts.env ?? process.env });
  if (mode === 'off') {
    return {
      ...NOOP,
      // Messages are not progress: they still reach stderr unless the output is JSON or --quiet was asked for.
      log: (message) => {
        if (!opts.json && verbosity !== 'quiet') stream.write(`${message}\n`);
      },
    };
  }
  return new StreamProgress(opts, stream, mode);
}

type ProgressStream = NonNullable<ProgressOptions['stream']>;

/** A bar redrawn in place ('bar') or plain lines now and then ('lines'), throttled by the clock. */
class StreamProgress implements Progress {
  readonly active = true;
  private readonly now: () => number;
  private readonly lineInterval: number;
  private readonly redrawInterval: number;
  private readonly started: number;
  private total: number | undefined;
  private value = 0;
  private payload: ProgressPayload = {};
  // The rate is measured from the first update on, so that a resumed run's head start and the set-up before the
  // first item do not distort it.
  private first: { t: number; value: number } | null = null;
  private lastDraw = -Infinity;
  private drawnText = '';
  private dirty = false;
  private stopped = false;

  constructor(
    private readonly opts: ProgressOptions,
    private readonly stream: ProgressStream,
    readonly mode: 'bar' | 'lines',
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.lineInterval = opts.lineIntervalMs ?? 10_000;
    this.redrawInterval = opts.redrawIntervalMs ?? 100;
    this.started = this.now();
    this.total = opts.total;
  }

  update(v: number, p?: ProgressPayload): void {
    this.set(v, p);
  }

  increment(p?: ProgressPayload): void {
    this.set(this.value + 1, p);
  }

  setTotal(t: number): void {
    this.total = t;
  }

  log(message: string): void {
    if (this.mode === 'bar' && this.drawnText !== '') {
      this.stream.write(`\r\x1b[K${message}\n`);
      this.draw(true);
    } else {
      this.stream.write(`${message}\n`);
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.drawnText === '') return;
    if (this.dirty) this.draw(true);
    if (this.mode === 'bar') this.stream.write('\n');
  }

  private set(v: number, p?: ProgressPayload): void {
    if (this.stopped) return;
    // A value that goes back (build-perfmap's next category) starts the rate afresh.
    if (this.first === null || v < this.value) this.first = { t: this.now(), value: v };
    this.value = v;
    if (p) this.payload = { ...this.payload, ...p };
    // The first update and the last one are always shown; the rest are throttled.
    this.draw(this.drawnText === '' || (this.total !== undefined && this.value >= this.total));
  }

  private draw(force: boolean): void {
    const t = this.now();
    if (!force && t - this.lastDraw < (this.mode === 'bar' ? this.redrawInterval : this.lineInterval)) {
      this.dirty = true;
      return;
    }
    this.lastDraw = t;
    this.dirty = false;
    const text = this.render();
    if (this.mode === 'bar') {
      const width = Math.max(20, (this.stream.columns || 80) - 1); // 0 where the terminal size is unknown
      // \r and erase-to-end-of-line: the only escape code used, and only on a terminal that is not TERM=dumb.
      this.stream.write(`\r${text.slice(0, width)}\x1b[K`);
    } else {
      this.stream.write(`${text}\n`);
    }
    this.drawnText = text;
  }

  private render(): string {
    const { opts, value, total, first, payload } = this;
    const t = this.now();
    const parts: string[] = [];
    const fraction = total !== undefined && total > 0 ? Math.min(1, value / total) : null;
    if (fraction !== null) {
      const filled = Math.round(fraction * BAR_WIDTH);
      const bar = this.mode === 'bar' ? ` [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]` : '';
      parts.push(`${opts.label}${bar} ${value}/${total} ${Math.floor(fraction * 100)}%`);
    } else {
      parts.push(`${opts.label} ${value}${opts.unit ? ` ${opts.unit}` : ''}`);
    }
    const perSecond = first && t > first.t && value > first.value ? ((value - first.value) * 1000) / (t - first.t) : null;
    const shownRate = typeof payload.rate === 'number' ? payload.rate : perSecond;
    if (opts.unit && shownRate !== null && Number.isFinite(shownRate)) parts.push(`${shownRate.toFixed(shownRate < 10 ? 1 : 0)} ${opts.unit}/s`);
    if (fraction !== null && fraction < 1 && perSecond !== null && perSecond > 0) {
      parts.push(`ETA ${formatDuration(((total as number) - value) / perSecond)}`);
    } else {
      parts.push(`elapsed ${formatDuration((t - this.started) / 1000)}`);
    }
    for (const f of opts.fields ?? []) {
      const v = payload[f];
      if (v !== undefined && v !== '') parts.push(`${f} ${String(v)}`);
    }
    return parts.join(' | ');
  }
}

/** 75 -> 1m15s; 3725 -> 1h02m; under a minute -> 42s. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
