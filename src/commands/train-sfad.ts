import { Flags } from '@oclif/core';
import { SFAD_PRESETS, type SfadPresetName } from '../pipeline/submodels/sfad/model/config.js';
import { featureEngineFlag, shown, submodelTrainFlags } from '../pipeline/cli/flags.js';
import { submodelEpochLine, submodelTrainOptions, TrainingCommand } from '../pipeline/cli/training-command.js';
import { listFlag, numberFlag } from '../pipeline/cli/training-session.js';
import { SFAD_FEATURE_CACHE_MB, trainSfad, type TrainSfadResult } from '../pipeline/services/train-sfad.js';
import { DEFAULT_FEATURE_BUDGET } from '../pipeline/submodels/sfad/train/sfad-batches.js';

export default class TrainSfad extends TrainingCommand {
  static override summary = 'Train the SFAD SimpleNet-style feature submodel on one category.';
  static override description =
    'Extracts layer2 + layer3 features of the normal training images with a frozen backbone (random, imported, the ' +
    'self-supervised backbone of an LPD artifact, or a pretrained network an npm package ships, see `madenet weights list`), once ' +
    'per image (kept in memory, optionally in an on-disk --feature-cache), and trains a feature adaptor and a discriminator that tells adapted ' +
    'features from copies with Gaussian noise (SimpleNet: truncated L1 loss, Adam; small and tiny standardise each channel ' +
    'first, see --standardize). Each epoch is validated ' +
    'on held-out train normals plus train-split (or synthetic) defects, never the test split, exactly as build-perfmap ' +
    'measures it; the best epoch is saved to <out>/sfad/<category>/vNNNN with its config, metrics, threshold and lineage. ' +
    'Checkpoints go to <out>/checkpoints/sfad/<category>; --resume continues from the newest one exactly.';
  static override examples = [
    '<%= config.bin %> train-sfad --data ./madenet-demo/data --category BGA --out ./artifacts --preset small',
    '<%= config.bin %> train-sfad --data ./madenet-demo/data --category BGA --out ./artifacts --preset tiny --epochs 4 --json',
    '<%= config.bin %> train-sfad --data ./madenet-demo/data --category BGA --out ./artifacts --backbone ./artifacts/lpd/BGA',
    // The best SFAD measured without ImageNet weights: an LPD small backbone's layer1 + layer2 (src/pipeline/submodels/sfad/train/README.md).
    '<%= config.bin %> train-sfad --data ./madenet-demo/data --category BGA --out ./artifacts --backbone ./artifacts/lpd/BGA --layers layer1,layer2',
    '<%= config.bin %> train-sfad --data ./mvtec --category transistor --out ./artifacts --preset paper --backbone ./artifacts/backbone/wide_resnet50_2',
    // No download: the MobileNetV2 inside the nsfwjs package, its default layers block_5_add + block_12_add.
    '<%= config.bin %> train-sfad --data ./mvtec --category transistor --out ./artifacts --backbone npm:nsfwjs/mobilenet_v2 --image-size 256 --feature-cache ./cache',
  ];
  static override flags = {
    ...submodelTrainFlags('sfad', SFAD_PRESETS),
    epochs: Flags.integer({ description: 'Passes over the training images.', defaultHelp: shown('the preset\'s'), min: 1 }),
    'batch-size': Flags.integer({ description: 'Images per optimiser step.', defaultHelp: shown('the preset\'s'), min: 1 }),
    lr: Flags.string({ description: 'Discriminator Adam rate; the adaptor gets half.', defaultHelp: shown('1e-3 for small and tiny; 2e-4 for paper, SimpleNet\'s') }),
    backbone: Flags.string({
      description:
        'random, a backbone artifact (`weights import`), an LPD artifact (its trained backbone), or a packaged network such as npm:nsfwjs/mobilenet_v2 (`madenet weights list`). ' +
        'For real photographs use npm:nsfwjs/mobilenet_v2 --image-size 256 (measured: MPDD metal_plate image AUROC 0.996 against 0.788 with random, MVTec transistor 0.809 against 0.801; bench/results/sfad-backbones.md).',
      default: 'random',
    }),
    layers: Flags.string({ description: 'Backbone stages (ResNets) or layer names (packaged networks) whose features are used, comma-separated.', defaultHelp: shown('layer2,layer3; a packaged network\'s own pair') }),
    'feature-dim': Flags.integer({ description: 'Feature channels D after the fixed projection (= adaptor width).', defaultHelp: shown('the preset\'s'), min: 1 }),
    'noise-std': Flags.string({
      description: 'Std of the Gaussian noise that makes anomalous features.', defaultHelp: shown('0.2 of each standardised channel for small and tiny; 0.015 on raw features for paper, SimpleNet\'s'),
    }),
    standardize: Flags.boolean({
      description: 'Standardise each feature channel (training statistics, folded into the saved adaptor) so --noise-std is a share of every channel\'s spread; on for small and tiny, off for paper as in SimpleNet, unless given.',
      allowNo: true,
    }),
    hidden: Flags.integer({ description: 'Hidden units of the discriminator.', defaultHelp: shown('the preset\'s'), min: 1 }),
    textures: Flags.string({ description: 'Folder of texture images for synthetic validation defects.', defaultHelp: shown('the built-in procedural set') }),
    'feature-memory-mb': Flags.integer({
      description: 'Memory for frozen features kept across epochs: the training images\' features, then the validation images\'; 0 recomputes them every epoch.',
      min: 0,
      default: DEFAULT_FEATURE_BUDGET / 2 ** 20,
    }),
    'feature-cache': Flags.string({ description: 'Folder of a content-addressed cache of backbone features (reused by later runs with the same backbone, layers and size).', defaultHelp: shown('none: features are computed afresh') }),
    'feature-cache-mb': Flags.integer({ description: 'Size limit of the feature cache; least recently used entries go first.', min: 1, default: SFAD_FEATURE_CACHE_MB }),
    ...featureEngineFlag,
  };

  async run(): Promise<TrainSfadResult> {
    const { flags } = await this.parse(TrainSfad);
    const session = this.startSession(`sfad ${flags.category}`);
    const result = await trainSfad({
      preset: flags.preset as SfadPresetName,
      lr: numberFlag('--lr', flags.lr),
      backbone: flags.backbone,
      layers: listFlag(flags.layers),
      featureDim: flags['feature-dim'],
      noiseStd: numberFlag('--noise-std', flags['noise-std']),
      standardize: flags.standardize,
      hidden: flags.hidden,
      textures: flags.textures,
      featureBudgetBytes: flags['feature-memory-mb'] * 2 ** 20,
      featureCache: flags['feature-cache'] ?? null,
      featureCacheMb: flags['feature-cache-mb'],
      featureEngine: flags['feature-engine'] as 'auto' | 'onnx' | 'tfjs',
      // After the submodel's own options: a bad --lr is reported before a bad --val-fraction, as before.
      ...submodelTrainOptions(flags, session),
      onEpoch: this.epochNotes(session, (e) => submodelEpochLine(e)),
    }).finally(session.end);
    this.sayRunNotes(result);
    const p = result.provenance;
    const from =
      p.kind === 'npm' ? ` from ${p.package}@${p.version} (${p.license})` : result.backboneParent ? ` from ${result.backboneParent.kind} ${result.backboneParent.category} v${result.backboneParent.version}` : ' (random)';
    this.say(`Trained SFAD (${result.preset}, ${result.imageSize} px, ${result.backboneArch}${from}) on ${result.trainImages} images of ${result.category}: ${result.steps} steps in ${result.seconds.toFixed(1)} s, ${result.imagesPerSecond.toFixed(1)} img/s.`);
    this.sayBestEpoch(result);
    this.say(`Saved ${result.artifact.dir}`);
    return result;
  }
}
