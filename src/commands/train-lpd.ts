import { Flags } from '@oclif/core';
import { LPD_PRESETS, type LpdPresetName } from '../pipeline/submodels/lpd/model/config.js';
import { shown, submodelTrainFlags } from '../pipeline/cli/flags.js';
import { submodelEpochLine, submodelTrainOptions, TrainingCommand } from '../pipeline/cli/training-command.js';
import { formatMetric, listFlag, numberFlag } from '../pipeline/cli/training-session.js';
import { DEFAULT_LPD_SCORING, type LpdScoring } from '../pipeline/submodels/lpd/detector.js';
import { trainLpd, type TrainLpdResult } from '../pipeline/services/train-lpd.js';
import type { LpdCutPasteVariant } from '../pipeline/submodels/lpd/train/lpd-batches.js';

export default class TrainLpd extends TrainingCommand {
  static override summary = 'Train the LPD CutPaste-style submodel on one category.';
  static override description =
    'Trains a backbone and a small head to tell the normal training images from CutPaste copies of them (a 5-20% ' +
    'rectangle cut, turned or mirrored, colour-jittered and pasted elsewhere, behind a perceptibility gate; scar ' +
    'variant optional) in balanced batches with BCE and SGD. After training a Gaussian density of patch embeddings is ' +
    'fitted per location on the train normals and saved with the model; it gives the anomaly maps. Each epoch is ' +
    'validated on held-out train normals plus train-split (or synthetic) defects, never the test split, exactly as ' +
    'build-perfmap measures it; the best epoch goes to <out>/lpd/<category>/vNNNN. Its backbone can start SFAD: ' +
    '`train-sfad --backbone <out>/lpd/<category>`. Checkpoints go to <out>/checkpoints/lpd/<category>; --resume continues exactly.';
  static override examples = [
    '<%= config.bin %> train-lpd --data ./madenet-demo/data --category BGA --out ./artifacts --preset small',
    '<%= config.bin %> train-lpd --data ./madenet-demo/data --category BGA --out ./artifacts --preset tiny --epochs 6 --json',
    '<%= config.bin %> train-lpd --data ./mvtec --category transistor --out ./artifacts --preset paper --backbone ./artifacts/backbone/resnet50 --variant mixed',
  ];
  static override flags = {
    ...submodelTrainFlags('lpd', LPD_PRESETS),
    epochs: Flags.integer({ description: 'Passes over the training normals.', defaultHelp: shown('the preset\'s'), min: 1 }),
    'batch-size': Flags.integer({ description: 'Images per step, half normal and half CutPaste; even.', defaultHelp: shown('the preset\'s'), min: 2 }),
    lr: Flags.string({ description: 'SGD learning rate, decayed to 0 on a cosine.', defaultHelp: shown('the preset\'s') }),
    backbone: Flags.string({ description: 'random, or a backbone artifact from `weights import` (CutPaste starts from ImageNet).', default: 'random' }),
    variant: Flags.string({ description: 'CutPaste variant.', options: ['normal', 'scar', 'mixed'], default: 'normal' }),
    gate: Flags.boolean({ description: 'Redraw CutPaste patches the perceptibility gate finds invisible (--no-gate keeps every draw).', default: true, allowNo: true }),
    score: Flags.string({ description: 'Image score of the saved detector: the head\'s P(patched), or the max of the GDE map.', options: ['head', 'gde'], default: DEFAULT_LPD_SCORING }),
    'gde-layers': Flags.string({ description: 'Backbone stages whose patch embeddings the GDE models, comma-separated.', defaultHelp: shown('layer1,layer2 for tiny/small, layer2,layer3 for paper') }),
    textures: Flags.string({ description: 'Folder of texture images for synthetic validation defects.', defaultHelp: shown('the built-in procedural set') }),
  };

  async run(): Promise<TrainLpdResult> {
    const { flags } = await this.parse(TrainLpd);
    const session = this.startSession(`lpd ${flags.category}`);
    const result = await trainLpd({
      preset: flags.preset as LpdPresetName,
      lr: numberFlag('--lr', flags.lr),
      backbone: flags.backbone,
      variant: flags.variant as LpdCutPasteVariant,
      noGate: !flags.gate,
      scoring: flags.score as LpdScoring,
      gdeLayers: listFlag(flags['gde-layers']),
      textures: flags.textures,
      // After the submodel's own options: a bad --lr is reported before a bad --val-fraction, as before.
      ...submodelTrainOptions(flags, session),
      onEpoch: this.epochNotes(session, (e) => submodelEpochLine(e, `, accuracy ${formatMetric(e.losses.accuracy)}`)),
    }).finally(session.end);
    this.sayRunNotes(result);
    const c = result.cutPaste;
    this.say(`Trained LPD (${result.preset}, ${result.imageSize} px) on ${result.trainImages} images of ${result.category}: ${result.steps} steps in ${result.seconds.toFixed(1)} s, ${result.imagesPerSecond.toFixed(1)} img/s.`);
    this.say(`CutPaste (${c.variant}): ${c.patched} images, the gate rejected ${c.rejections} draws${c.keptUnaccepted > 0 ? ` and passed none for ${c.keptUnaccepted}` : ''}; GDE fitted on ${result.gde.images} normals.`);
    this.sayBestEpoch(result, ` (${result.scoring} score)`);
    this.say(`Saved ${result.artifact.dir}`);
    return result;
  }
}
