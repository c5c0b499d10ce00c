// What every training command (train-*, finetune) wires the same way: a step progress bar on stderr, Ctrl-C
// turned into an abort signal (the service stops after the current step, keeping its checkpoints), and
// parsing/printing of the numbers those commands take and report.
import { MadenetError } from '../core/errors.js';
import type { TrainProgress } from '../train/loop.js';
import { createProgress } from './progress.js';

export interface TrainingSession {
  signal: AbortSignal;
  onProgress: (p: TrainProgress) => void;
  /** True while the bar is drawn (then per-epoch lines would garble it). */
  readonly barActive: boolean;
  /** Stops the bar and the Ctrl-C handler; call once the service has settled. */
  end: () => void;
}

export function startTrainingSession(label: string, json: boolean): TrainingSession {
  const progress = createProgress({ label, json, unit: 'img', fields: ['epoch', 'loss'] });
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  return {
    signal: abort.signal,
    onProgress: (p) => {
      progress.setTotal(p.totalSteps);
      // Steps drive the bar and its ETA; the trainer's own images/s is the rate shown.
      progress.update(p.step, { epoch: p.epochs ? `${p.epoch + 1}/${p.epochs}` : p.epoch + 1, loss: p.loss.toFixed(4), rate: p.imagesPerSecond });
    },
    get barActive() {
      return progress.active;
    },
    end: () => {
      progress.stop();
      process.off('SIGINT', onSigint);
    },
  };
}

/** A numeric flag kept as a string by oclif (floats): undefined stays undefined, anything else must be a number. */
export function numberFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new MadenetError('E_USAGE', `${flag} is ${value}; expected a number.`);
  return n;
}

/** A comma-separated list flag (e.g. backbone stages): entries trimmed, empty ones dropped; undefined stays undefined. */
export function listFlag(value: string | undefined): string[] | undefined {
  return value?.split(',').map((v) => v.trim()).filter((v) => v !== '');
}

export function formatMetric(v: number | null | undefined): string {
  return v === null || v === undefined ? 'n/a' : v.toFixed(4);
}
