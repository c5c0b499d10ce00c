import { Flags } from '@oclif/core';
import { SRAD_PRESETS, type SradPresetName } from '../pipeline/submodels/srad/model/config.js';
import { shown, submodelTrainFlags } from '../pipeline/cli/flags.js';
import { submodelEpochLine, submodelTrainOptions, TrainingCommand } from '../pipeline/cli/training-command.js';
import { formatMetric, numberFlag } from '../pipeline/cli/training-session.js';
import { trainSrad, type TrainSradResult } from '../pipeline/services/train-srad.js';
import type { ForegroundMode } from '../pipeline/submodels/srad/train/srad-batches.js';

export default class TrainSrad extends TrainingCommand {
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
    ...submodelTrainFlags('srad', SRAD_PRESETS),
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
    const session = this.startSession(`srad ${flags.category}`);
    const result = await trainSrad({
      preset: flags.preset as SradPresetName,
      lr: numberFlag('--lr', flags.lr) as number,
      textures: flags.textures,
      foreground: flags.foreground as ForegroundMode,
      focalAlpha: numberFlag('--focal-alpha', flags['focal-alpha']),
      focalGamma: numberFlag('--focal-gamma', flags['focal-gamma']),
      lambdaRec: numberFlag('--lambda-rec', flags['lambda-rec']),
      lambdaSeg: numberFlag('--lambda-seg', flags['lambda-seg']),
      backbone: flags.backbone,
      // After the submodel's own options: a bad --lr is reported before a bad --val-fraction, as before.
      ...submodelTrainOptions(flags, session),
      onEpoch: this.epochNotes(session, (e) => submodelEpochLine(e)),
    }).finally(session.end);
    this.sayRunNotes(result);
    const m = result.metrics;
    this.say(`Trained SRAD (${result.preset}, ${result.imageSize} px) on ${result.trainImages} images of ${result.category}: ${result.steps} steps in ${result.seconds.toFixed(1)} s, ${result.imagesPerSecond.toFixed(1)} img/s.`);
    this.sayBestEpoch(result);
    if (m.synthetic) this.say(`Too few real validation defects: the best epoch was chosen on them plus ${m.synthetic.defects} synthetic ones (AUROC ${formatMetric(m.synthetic.imageAuroc)}, Pixel-AP ${formatMetric(m.synthetic.pixelAp)}).`);
    this.say(`Saved ${result.artifact.dir}`);
    return result;
  }
}
