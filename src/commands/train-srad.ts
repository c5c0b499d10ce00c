import { Flags } from '@oclif/core';
import { SRAD_PRESETS, type SradPresetName } from '../models/srad/config.js';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { imageSizeFlag, runtimeFlags, seedFlag, shown, submodelTrainingFlags, tileSpecOf, trainingTileFlags } from '../pipeline/cli/flags.js';
import { formatMetric, numberFlag, startTrainingSession } from '../pipeline/cli/training-session.js';
import type { BackendRequest } from '../pipeline/runtime/backend.js';
import { trainSrad, type TrainSradResult } from '../pipeline/services/train-srad.js';
import type { ForegroundMode } from '../pipeline/train/srad/srad-batches.js';

export default class TrainSrad extends BaseCommand {
  static override summary = 'Train the SRAD reconstruction submodel (HRNet encoder, decoder, U-Net detection head) on one category.';
  static override description =
    'Trains on the normal training images of one category with synthetic anomalies made on the fly (DRAEM texture or ' +
    'MSTUnet structural, Perlin masks inside the object), Adam with a step schedule (x0.2 at 80% and 90% of the steps). ' +
    'Each epoch is validated on held-out train normals plus train-split (or synthetic) defects, never the test split, ' +
    'exactly as build-perfmap measures it; the best epoch is saved to <out>/srad/<category>/vNNNN with its config, ' +
    'metrics, threshold and a preview of reconstructions. Checkpoints (weights, optimizer state, loop state) go to ' +
    '<out>/checkpoints/srad/<category>; --resume continues from the newest one exactly.';
  static override examples = [
    '<%= config.bin %> train-srad --data ./madenet-demo/data --category BGA --out ./artifacts --preset small',
    '<%= config.bin %> train-srad --data ./madenet-demo/data --category BGA --out ./artifacts --preset tiny --image-size 64 --epochs 5 --json',
    '<%= config.bin %> train-srad --data ./mvtec --category transistor --out ./artifacts --preset paper --backbone ./artifacts/backbone/hrnet_w32 --resume',
  ];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    ...submodelTrainingFlags('srad'),
    ...imageSizeFlag,
    ...trainingTileFlags(),
    preset: Flags.string({ description: 'Model size.', options: [...SRAD_PRESETS], default: 'small' }),
    epochs: Flags.integer({ description: 'Passes over the training images.', default: 20, min: 1 }),
    'batch-size': Flags.integer({ description: 'Images per optimiser step.', default: 4, min: 1 }),
    lr: Flags.string({ description: 'Adam learning rate (decays x0.2 at 80% and 90% of the steps).', default: '1e-3' }),
    backbone: Flags.string({ description: 'random, or a backbone artifact of hrnet_w18 / hrnet_w32 from `weights import` (sets the encoder).', default: 'random' }),
    textures: Flags.string({ description: 'Folder of texture images (e.g. DTD).', defaultHelp: shown('the built-in procedural set') }),
    foreground: Flags.string({ description: 'Keep synthetic defects on the object (auto) or anywhere (none).', options: ['auto', 'none'], default: 'auto' }),
    'focal-alpha': Flags.string({ description: 'Focal loss alpha on the anomaly class (negative: no class weighting, as DRAEM).', defaultHelp: shown('the preset\'s') }),
    'focal-gamma': Flags.string({ description: 'Focal loss gamma.', defaultHelp: shown('2') }),
    'lambda-rec': Flags.string({ description: 'Weight of the reconstruction loss (L2 + SSIM).', defaultHelp: shown('1') }),
    'lambda-seg': Flags.string({ description: 'Weight of the focal segmentation loss.', defaultHelp: shown('1') }),
  };

  async run(): Promise<TrainSradResult> {
    const { flags } = await this.parse(TrainSrad);
    const session = startTrainingSession(`srad ${flags.category}`, this.jsonEnabled());
    const result = await trainSrad({
      data: flags.data,
      tile: tileSpecOf(flags),
      category: flags.category,
      out: flags.out,
      preset: flags.preset as SradPresetName,
      imageSize: flags['image-size'],
      epochs: flags.epochs,
      batchSize: flags['batch-size'],
      lr: numberFlag('--lr', flags.lr) as number,
      seed: flags.seed,
      backend: flags.backend as BackendRequest,
      threads: flags.threads,
      textures: flags.textures,
      foreground: flags.foreground as ForegroundMode,
      focalAlpha: numberFlag('--focal-alpha', flags['focal-alpha']),
      focalGamma: numberFlag('--focal-gamma', flags['focal-gamma']),
      lambdaRec: numberFlag('--lambda-rec', flags['lambda-rec']),
      lambdaSeg: numberFlag('--lambda-seg', flags['lambda-seg']),
      valFraction: numberFlag('--val-fraction', flags['val-fraction']),
      checkpointEvery: flags['checkpoint-every'],
      resume: flags.resume,
      backbone: flags.backbone,
      signal: session.signal,
      onProgress: session.onProgress,
      onEpoch: (e) => {
        if (session.barActive) return;
        const v = e.validation;
        this.note(`epoch ${e.epoch}: loss ${e.meanLoss.toFixed(4)}, val AUROC ${formatMetric(v?.imageAuroc)}, Pixel-AP ${formatMetric(v?.pixelAp)}, ${e.imagesPerSecond.toFixed(1)} img/s`);
      },
    }).finally(session.end);
    if (result.resumedFrom) this.say(`Resumed from step ${result.resumedFrom.step} (${result.resumedFrom.dir}).`);
    for (const w of result.warnings) this.note(`warning: ${w}`);
    const m = result.metrics;
    this.say(`Trained SRAD (${result.preset}, ${result.imageSize} px) on ${result.trainImages} images of ${result.category}: ${result.steps} steps in ${result.seconds.toFixed(1)} s, ${result.imagesPerSecond.toFixed(1)} img/s.`);
    this.say(`Best epoch ${m.bestEpoch}: validation image AUROC ${formatMetric(m.imageAuroc)}, Pixel-AP ${formatMetric(m.pixelAp)} (${result.validation.normals} normals, ${result.validation.defects} ${result.validation.source} defects); raw-score threshold ${m.threshold.threshold.toPrecision(4)} (build-perfmap and infer report it in standard deviations above the validation normals).`);
    if (m.synthetic) this.say(`Too few real validation defects: the best epoch was chosen on them plus ${m.synthetic.defects} synthetic ones (AUROC ${formatMetric(m.synthetic.imageAuroc)}, Pixel-AP ${formatMetric(m.synthetic.pixelAp)}).`);
    this.say(`Saved ${result.artifact.dir}`);
    return result;
  }
}
