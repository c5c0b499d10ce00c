// Checks, defaults and errors shared by the training services: numeric options with the flag named, the
// interruption error, and the checkpoint folder added to a divergence's advice. No training logic.
import { MAX_WEIGHT_MAGNITUDE } from '../artifacts/weight-values.js';
import { MadenetError, isMadenetError } from '../core/errors.js';

/** Steps between checkpoints when a service is not told (each epoch end writes one too). */
export const DEFAULT_CHECKPOINT_EVERY = 100;
/** Share of the train images a trainer holds out for validation when not told (build-perfmap's, for the submodels). */
export const DEFAULT_VAL_FRACTION = 0.2;

/** The largest learning rate any trainer accepts. */
export const MAX_LR = 1;

export interface TrainNumbers {
  epochs: number;
  batchSize: number;
  lr: number;
  valFraction: number;
  checkpointEvery: number;
}

export function checkTrainNumbers(n: TrainNumbers): void {
  if (!Number.isInteger(n.epochs) || n.epochs < 1) throw usage('--epochs', n.epochs, 'an integer >= 1');
  if (!Number.isInteger(n.batchSize) || n.batchSize < 1) throw usage('--batch-size', n.batchSize, 'an integer >= 1');
  // Adam steps of size ~lr on every weight: above 1 no network here trains, it only overflows.
  if (!(Number.isFinite(n.lr) && n.lr > 0 && n.lr <= MAX_LR)) throw usage('--lr', n.lr, `a positive number at most ${MAX_LR}, such as 1e-4`);
  if (!(n.valFraction > 0 && n.valFraction < 1)) throw usage('--val-fraction', n.valFraction, 'a number in (0, 1)');
  if (!Number.isInteger(n.checkpointEvery) || n.checkpointEvery < 0) throw usage('--checkpoint-every', n.checkpointEvery, 'an integer >= 0 (0 = no checkpoints)');
}

function usage(flag: string, value: number, expected: string): MadenetError {
  return new MadenetError('E_USAGE', `${flag} is ${value}; expected ${expected}.`);
}

/** The error a run stopped on request ends with (Ctrl-C, an AbortSignal). */
export function interrupted(step: number, lastCheckpointStep: number, dir: string, checkpointing: boolean): MadenetError {
  return new MadenetError('E_INTERRUPTED', `Training stopped on request before step ${step + 1}.`, {
    exit: 130,
    suggestions:
      checkpointing && lastCheckpointStep > 0
        ? [`The last checkpoint (step ${lastCheckpointStep}) is in ${dir}; run the same command with --resume to continue.`]
        : ['No checkpoint was written yet; run again (use --checkpoint-every to save more often).'],
  });
}

/** Adds where the last good checkpoint lives to E_DIVERGED; other errors pass through unchanged. */
export function withCheckpointHint(err: unknown, dir: string | null): unknown {
  if (!isMadenetError(err) || err.code !== 'E_DIVERGED' || dir === null) return err;
  return new MadenetError(err.code, err.message, { suggestions: [...err.suggestions, `Checkpoints are kept in ${dir}.`], exit: err.exit, cause: err.cause });
}

/**
 * The advice of every E_DIVERGED: a checkpoint resumes only with the settings it was made with (a lower --lr is
 * another setting), so the run that works is a fresh one with a lower rate, without --resume.
 */
export function divergedAdvice(lr?: number): string[] {
  const lower = lr !== undefined && lr > 0 ? ` (e.g. --lr ${(lr / 10).toPrecision(2)})` : '';
  return [`Run again with a lower --lr${lower} or a larger --batch-size, without --resume: a checkpoint resumes only with the settings it was made with.`];
}

/** E_DIVERGED for weights that overflowed or exploded while the loss still looked finite (the loop catches NaN losses). */
export function divergedWeights(step: number, epoch: number, loss: number, _lastCheckpointStep: number, lr?: number): MadenetError {
  return new MadenetError(
    'E_DIVERGED',
    `Training diverged at step ${step} (epoch ${epoch + 1}${lr !== undefined ? `, lr ${lr}` : ''}): the weights are no longer finite or have exploded past ${MAX_WEIGHT_MAGNITUDE.toExponential(0)} (loss ${loss.toPrecision(4)}).`,
    { suggestions: divergedAdvice(lr) },
  );
}
