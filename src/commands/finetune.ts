import { Flags } from '@oclif/core';
import { ARTIFACT_REFERENCE, dataFlag, runtimeFlags, shown } from '../pipeline/cli/flags.js';
import { submodelEpochLine, TrainingCommand } from '../pipeline/cli/training-command.js';
import { formatMetric, numberFlag } from '../pipeline/cli/training-session.js';
import type { BackendRequest } from '../pipeline/runtime/backend.js';
import { DEFAULT_FINETUNE_EPOCHS, finetuneModel, isClassifierFinetune, type AnyFinetuneResult, type FinetuneResult } from '../pipeline/services/finetune.js';
import type { ClassifierFinetuneResult } from '../pipeline/services/finetune-classifier.js';
import type { RoutingGroupMetrics } from '../pipeline/finetune/classifier-routing-metrics.js';

export default class Finetune extends TrainingCommand {
  static override summary = 'Fine-tune a trained submodel on real defects with their pixel masks, or the pre-classifier on normal and defective images.';
  static override description =
    'Continues an SRAD, SFAD or LPD artifact on the real defective training images of its category ' +
    '(ManuDefect-21 layout: <category>/train/<defect-type> with masks in ground_truth/), mixed with synthetic ' +
    'defects at --real-ratio. SRAD learns the real masks in its focal loss (reconstruction only outside them); SFAD ' +
    'takes features inside real masks as negatives next to its Gaussian-noise ones; LPD takes real defects as ' +
    'positives next to CutPaste copies and refits its GDE on the normals. A seeded part of the train normals and of ' +
    'the train defects is held out for validation (never trained on, never the test split); the parent is measured ' +
    'on it first, then every epoch, and the best epoch is saved as <out>/<kind>/<category>/vNNNN with the parent, ' +
    'the settings and the before/after metrics. ' +
    'Given a classifier artifact (train-classifier), continues it on the train-split normals and defects of all its categories ' +
    '(class-balanced, half of each category\'s draws defective), validates on train-classifier\'s hold-out as infer would route it ' +
    '(accuracy, mean confidence and the share under infer\'s routing threshold 0.85, for defects and normals apart) and saves the best epoch ' +
    'as <out>/classifier/all/vNNNN; --real-ratio, --lambda and --textures do not apply to it and are refused.';
  static override examples = [
    '<%= config.bin %> finetune --model ./artifacts/srad/BGA/v0001 --data ./madenet-demo/data',
    '<%= config.bin %> finetune --model ./artifacts/lpd/QFN --data ./madenet-demo/data --real-ratio 0.75 --epochs 3 --json',
    '<%= config.bin %> finetune --model ./artifacts/classifier/all --data ./madenet-demo/data',
  ];
  static override flags = {
    ...runtimeFlags,
    model: Flags.string({ description: `Submodel or classifier artifact to continue from (${ARTIFACT_REFERENCE}).`, required: true }),
    ...dataFlag(' with real defects in <category>/train/<defect-type> and ground_truth/'),
    out: Flags.string({ char: 'o', description: 'Artifact root for the new version.', defaultHelp: shown('the parent\'s root') }),
    epochs: Flags.integer({ description: 'Passes over the training normals and real defects.', default: DEFAULT_FINETUNE_EPOCHS, min: 1 }),
    lr: Flags.string({ description: 'Learning rate, cosine-decayed to 0.', defaultHelp: shown('half the parent\'s training rate for SRAD and SFAD, a tenth for LPD and the classifier') }),
    'batch-size': Flags.integer({ description: 'Images per step; half of them are defect slots.', defaultHelp: shown('the parent\'s'), min: 2 }),
    'real-ratio': Flags.string({ description: 'Fraction of defective samples per batch drawn from real defects (rest synthetic; submodels only).', default: '0.5' }),
    'val-fraction': Flags.string({ description: 'Share of train normals and of train defects held out for validation.', defaultHelp: shown('the parent\'s') }),
    seed: Flags.integer({ description: 'Seed for the hold-out, data order and synthesis.', defaultHelp: shown('the parent\'s') }),
    lambda: Flags.string({ description: 'Weight of image AUROC against Pixel-AP in the score that picks the best epoch (build-perfmap\'s objective; submodels only).', default: '0.5' }),
    textures: Flags.string({ description: 'Folder of texture images for SRAD\'s synthetic defects.', defaultHelp: shown('the built-in procedural set') }),
    'checkpoint-every': Flags.integer({ description: 'Save a checkpoint every N steps and at each epoch end (0 = never).', default: 100, min: 0 }),
    resume: Flags.boolean({ description: 'Continue from the newest fine-tuning checkpoint of this kind and category in --out.', default: false }),
  };

  async run(): Promise<AnyFinetuneResult> {
    const { flags, metadata } = await this.parse(Finetune);
    // Defaults are left to the service, so that a flag given for the wrong kind of parent can be told from its default.
    const given = (name: 'real-ratio' | 'lambda'): string | undefined => (metadata.flags[name]?.setFromDefault ? undefined : flags[name]);
    const session = this.startSession('finetune');
    const result = await finetuneModel({
      model: flags.model,
      data: flags.data,
      out: flags.out,
      epochs: flags.epochs,
      lr: numberFlag('--lr', flags.lr),
      batchSize: flags['batch-size'],
      realRatio: numberFlag('--real-ratio', given('real-ratio')),
      valFraction: numberFlag('--val-fraction', flags['val-fraction']),
      seed: flags.seed,
      lambda: numberFlag('--lambda', given('lambda')),
      backend: flags.backend as BackendRequest,
      threads: flags.threads,
      textures: flags.textures,
      checkpointEvery: flags['checkpoint-every'],
      resume: flags.resume,
      signal: session.signal,
      onProgress: session.onProgress,
      onEpoch: this.epochNotes(session, (e) => {
        const v = e.validation;
        return v && 'defectMeanConfidence' in v
          ? `epoch ${e.epoch}: loss ${e.meanLoss.toFixed(4)}, val accuracy ${formatMetric(v.accuracy)}, defects: mean confidence ${formatMetric(v.defectMeanConfidence)}, ${formatShare(v.defectBelowThreshold)} under the threshold`
          : submodelEpochLine(e);
      }),
    }).finally(session.end);
    this.sayRunNotes(result);
    if (isClassifierFinetune(result)) this.sayClassifier(result);
    else this.saySubmodel(result);
    this.say(`Saved ${result.artifact.dir}`);
    return result;
  }

  private saySubmodel(result: FinetuneResult): void {
    const { before, after } = result.metrics;
    const d = result.data;
    this.say(
      `Fine-tuned ${result.kind.toUpperCase()} ${result.category} v${result.parent.version} on ${d.trainNormals} normals and ${d.trainDefects} real defects (real ratio ${result.settings.realRatio}): ${result.steps} steps in ${result.seconds.toFixed(1)} s.`,
    );
    this.say(`Validation (${d.validationNormals} normals, ${d.validationDefects} held-out real defects):`);
    this.say(`  before  image AUROC ${formatMetric(before.imageAuroc)}  Pixel-AP ${formatMetric(before.pixelAp)}`);
    this.say(`  after   image AUROC ${formatMetric(after.imageAuroc)}  Pixel-AP ${formatMetric(after.pixelAp)}  (best epoch ${after.bestEpoch})`);
  }

  private sayClassifier(result: ClassifierFinetuneResult): void {
    const { before, after } = result.metrics;
    const d = result.data;
    const t = result.settings.minConfidence;
    this.say(
      `Fine-tuned the pre-classifier v${result.parent.version} (${result.categories.join(', ')}) on ${d.trainNormals} normals and ${d.trainDefects} defects (defect share ${result.settings.defectShare}): ${result.steps} steps in ${result.seconds.toFixed(1)} s.`,
    );
    this.say(`Validation (${d.validationNormals} normals, ${d.validationDefects} defects held out of the train split), routing threshold ${t}:`);
    const group = (g: RoutingGroupMetrics): string => `mean confidence ${formatMetric(g.meanConfidence)}, ${formatShare(g.belowThreshold)} under ${t}`;
    for (const [label, m] of [['before', before], ['after ', after]] as const) {
      this.say(`  ${label}  accuracy ${formatMetric(m.accuracy)}  defects: ${group(m.defects)}  normals: ${group(m.normals)}`);
    }
    this.say(`  (best epoch ${after.bestEpoch})`);
  }
}

function formatShare(v: number | null | undefined): string {
  return v === null || v === undefined ? 'n/a' : `${(100 * v).toFixed(1)}%`;
}
