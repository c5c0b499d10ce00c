import { Flags } from '@oclif/core';
import { LPD_PRESETS, type LpdPresetName } from '../models/lpd/config.js';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { imageSizeFlag, runtimeFlags, seedFlag, shown, submodelTrainingFlags, tileSpecOf, trainingTileFlags } from '../pipeline/cli/flags.js';
import { formatMetric, listFlag, numberFlag, startTrainingSession } from '../pipeline/cli/training-session.js';
import { DEFAULT_LPD_SCORING, type LpdScoring } from '../pipeline/detectors/lpd.js';
import type { BackendRequest } from '../pipeline/runtime/backend.js';
import { trainLpd, type TrainLpdResult } from '../pipeline/services/train-lpd.js';
import type { LpdCutPasteVariant } from '../pipeline/train/lpd/lpd-batches.js';

export default class TrainLpd extends BaseCommand {
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
    ...runtimeFlags,
    ...seedFlag,
    ...submodelTrainingFlags('lpd'),
    ...imageSizeFlag,
    ...trainingTileFlags(),
    preset: Flags.string({ description: 'Model size.', options: [...LPD_PRESETS], default: 'small' }),
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
    const session = startTrainingSession(`lpd ${flags.category}`, this.jsonEnabled());
    const result = await trainLpd({
      data: flags.data,
      tile: tileSpecOf(flags),
      category: flags.category,
      out: flags.out,
      preset: flags.preset as LpdPresetName,
      imageSize: flags['image-size'],
      epochs: flags.epochs,
      batchSize: flags['batch-size'],
      lr: numberFlag('--lr', flags.lr),
      seed: flags.seed,
      backend: flags.backend as BackendRequest,
      threads: flags.threads,
      backbone: flags.backbone,
      variant: flags.variant as LpdCutPasteVariant,
      noGate: !flags.gate,
      scoring: flags.score as LpdScoring,
      gdeLayers: listFlag(flags['gde-layers']),
      textures: flags.textures,
      valFraction: numberFlag('--val-fraction', flags['val-fraction']),
      checkpointEvery: flags['checkpoint-every'],
      resume: flags.resume,
      signal: session.signal,
      onProgress: session.onProgress,
      onEpoch: (e) => {
        if (session.barActive) return;
        const v = e.validation;
        this.note(`epoch ${e.epoch}: loss ${e.meanLoss.toFixed(4)}, accuracy ${formatMetric(e.losses.accuracy)}, val AUROC ${formatMetric(v?.imageAuroc)}, Pixel-AP ${formatMetric(v?.pixelAp)}, ${e.imagesPerSecond.toFixed(1)} img/s`);
      },
    }).finally(session.end);
    if (result.resumedFrom) this.say(`Resumed from step ${result.resumedFrom.step} (${result.resumedFrom.dir}).`);
    for (const w of result.warnings) this.note(`warning: ${w}`);
    const m = result.metrics;
    const c = result.cutPaste;
    this.say(`Trained LPD (${result.preset}, ${result.imageSize} px) on ${result.trainImages} images of ${result.category}: ${result.steps} steps in ${result.seconds.toFixed(1)} s, ${result.imagesPerSecond.toFixed(1)} img/s.`);
    this.say(`CutPaste (${c.variant}): ${c.patched} images, the gate rejected ${c.rejections} draws${c.keptUnaccepted > 0 ? ` and passed none for ${c.keptUnaccepted}` : ''}; GDE fitted on ${result.gde.images} normals.`);
    this.say(`Best epoch ${m.bestEpoch}: validation image AUROC ${formatMetric(m.imageAuroc)} (${result.scoring} score), Pixel-AP ${formatMetric(m.pixelAp)} (${result.validation.normals} normals, ${result.validation.defects} ${result.validation.source} defects); raw-score threshold ${m.threshold.threshold.toPrecision(4)} (build-perfmap and infer report it in standard deviations above the validation normals).`);
    this.say(`Saved ${result.artifact.dir}`);
    return result;
  }
}
