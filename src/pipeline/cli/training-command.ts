// The base of the commands that run a training loop (train-srad/sfad/lpd, train-classifier, finetune): the session,
// the per-epoch note, and the lines and service options they all share. Holds no command of its own.
import type { BackendRequest } from '../runtime/backend.js';
import type { EpochRecord } from '../train/loop.js';
import type { TrainingRunResult } from '../train/train-run-types.js';
import { BaseCommand } from './base-command.js';
import { tileSpecOf } from './flags.js';
import { formatMetric, numberFlag, startTrainingSession, type TrainingSession } from './training-session.js';

/** The flags submodelTrainFlags gives train-srad, train-sfad and train-lpd, as oclif parses them. */
export interface SubmodelTrainFlags extends TrainRunFlags {
  epochs?: number | undefined;
  'batch-size'?: number | undefined;
  'checkpoint-every': number;
  resume: boolean;
}

/** What a submodel trainer reports about its best epoch and the validation set it was chosen on. */
interface SubmodelBest {
  metrics: { bestEpoch: number | null; imageAuroc: number | null; pixelAp: number | null; threshold: { threshold: number } };
  validation: { normals: number; defects: number; source: string };
}

export abstract class TrainingCommand extends BaseCommand {
  // Restated, not new: oclif's manifest collects statics up the class chain only through classes that have some of
  // their own, so without one here it would stop before BaseCommand and leave out its --json.
  static override enableJsonFlag = true;

  protected startSession(label: string): TrainingSession {
    return startTrainingSession(label, this.jsonEnabled());
  }

  /** A service's onEpoch: one line per epoch on stderr, unless the bar is drawn (the lines would garble it). */
  protected epochNotes(session: TrainingSession, line: (e: EpochRecord) => string): (e: EpochRecord) => void {
    return (e) => {
      if (session.barActive) return;
      this.note(line(e));
    };
  }

  /** Where a resumed run started, and the service's warnings. */
  protected sayRunNotes(result: Pick<TrainingRunResult, 'resumedFrom' | 'warnings'>): void {
    if (result.resumedFrom) this.say(`Resumed from step ${result.resumedFrom.step} (${result.resumedFrom.dir}).`);
    for (const w of result.warnings) this.note(`warning: ${w}`);
  }

  /** The best epoch of a submodel run; `scoring` names the image score where the submodel has a choice (LPD). */
  protected sayBestEpoch(result: SubmodelBest, scoring = ''): void {
    const m = result.metrics;
    const v = result.validation;
    this.say(
      `Best epoch ${m.bestEpoch}: validation image AUROC ${formatMetric(m.imageAuroc)}${scoring}, Pixel-AP ${formatMetric(m.pixelAp)} (${v.normals} normals, ${v.defects} ${v.source} defects); raw-score threshold ${m.threshold.threshold.toPrecision(4)} (build-perfmap and infer report it in standard deviations above the validation normals).`,
    );
  }
}

/** The per-epoch line of a submodel run; `extra` follows the loss (e.g. LPD's head accuracy). */
export function submodelEpochLine(e: EpochRecord, extra = ''): string {
  const v = e.validation;
  return `epoch ${e.epoch}: loss ${e.meanLoss.toFixed(4)}${extra}, val AUROC ${formatMetric(v?.imageAuroc)}, Pixel-AP ${formatMetric(v?.pixelAp)}, ${e.imagesPerSecond.toFixed(1)} img/s`;
}

/** The data, runtime and hold-out flags every trainer shares (train-srad/sfad/lpd, train-patchcore). */
export interface TrainRunFlags {
  data: string;
  category: string;
  out: string;
  'image-size'?: number | undefined;
  seed: number;
  backend: string;
  threads: number;
  'val-fraction': string;
  tile: number;
  'tile-overlap': string;
  'max-tiles-per-image': number;
}

/** The trainer options those flags give. */
export function trainRunOptions(flags: TrainRunFlags) {
  return {
    data: flags.data,
    category: flags.category,
    out: flags.out,
    imageSize: flags['image-size'],
    seed: flags.seed,
    backend: flags.backend as BackendRequest,
    threads: flags.threads,
    valFraction: numberFlag('--val-fraction', flags['val-fraction']),
    tile: tileSpecOf(flags),
  };
}

/** The trainer options that come from submodelTrainFlags and the session, the same for every submodel. */
export function submodelTrainOptions<F extends SubmodelTrainFlags>(flags: F, session: TrainingSession) {
  return {
    ...trainRunOptions(flags),
    epochs: flags.epochs as F['epochs'],
    batchSize: flags['batch-size'] as F['batch-size'],
    checkpointEvery: flags['checkpoint-every'],
    resume: flags.resume,
    signal: session.signal,
    onProgress: session.onProgress,
  };
}
