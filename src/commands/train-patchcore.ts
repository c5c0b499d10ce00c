import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { categoryFlag, dataFlag, featureEngineFlag, imageSizeFlag, runtimeFlags, seedFlag, shown, trainingTileFlags } from '../pipeline/cli/flags.js';
import { trainRunOptions } from '../pipeline/cli/training-command.js';
import { formatMetric, listFlag, numberFlag } from '../pipeline/cli/training-session.js';
import type { FeatureEngineChoice } from '../pipeline/features/onnx-features.js';
import { DEFAULT_FEATURE_CACHE_MB, defaultPatchcoreBackbone, trainPatchcore, type TrainPatchcoreResult } from '../pipeline/services/train-patchcore.js';
import { CORESET_SCOPES, type CoresetScope } from '../pipeline/services/train-patchcore-bank.js';
import { ensembleBackbones } from '../pipeline/services/train-patchcore-ensemble.js';
import { MadenetError } from '../pipeline/core/errors.js';

export default class TrainPatchcore extends BaseCommand {
  static override summary = 'Build a PatchCore memory-bank submodel for one category.';
  static override description =
    'Extracts locally aware patch features (3x3 average pooling of two backbone layers, upsampled to one grid) of the ' +
    'normal training images with a frozen pretrained backbone (default: the MobileNetV2 that the nsfwjs npm package ships, ' +
    'no download; see `madenet weights list`), keeps a seeded greedy coreset of them within --max-bank-rows, and scores ' +
    'an image by its patches\' nearest-neighbour distances (map: upsampled and smoothed; score: the max, plus a ' +
    'standardised whole-image kNN term with --global-layer). No gradient training: the validation that build-perfmap ' +
    'uses (held-out train normals plus train-split or synthetic defects, never the test split) gives the threshold. ' +
    'Saved to <out>/patchcore/<category>/vNNNN with the backbone\'s source package, version, licence and layers.';
  static override examples = [
    '<%= config.bin %> train-patchcore --data ./mvtec --category transistor --out ./artifacts',
    '<%= config.bin %> train-patchcore --data ./mvtec --category transistor --out ./artifacts --feature-cache ./cache --json',
    '<%= config.bin %> train-patchcore --data ./mvtec --category transistor --out ./artifacts --backbone npm:nsfwjs/inception_v3 --image-size 299',
    '<%= config.bin %> train-patchcore --data ./mvtec --category transistor --out ./artifacts --backbone ./artifacts/backbone/wide_resnet50_2 --layers layer2,layer3 --global-layer none',
  ];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    ...dataFlag(),
    ...categoryFlag(),
    out: Flags.string({ char: 'o', description: 'Artifact root; the model is saved to <out>/patchcore/<category>/vNNNN.', required: true }),
    'val-fraction': Flags.string({ description: 'Share of train normals held out for validation (at most 64 images).', default: '0.2' }),
    ...imageSizeFlag,
    ...trainingTileFlags(),
    backbone: Flags.string({
      description: `Backbone id: npm:<package>/<net> (see \`madenet weights list\`), random, or a backbone/LPD artifact; several joined by '+' build an ensemble (each member its own artifact, then the ensemble artifact, LATEST, that sums their standardised scores), e.g. ${defaultPatchcoreBackbone(false)}.`,
      defaultHelp: shown(`${defaultPatchcoreBackbone(false)} (with --tile: ${defaultPatchcoreBackbone(true)})`),
    }),
    layers: Flags.string({ description: 'Backbone layers for the patch features, shallow first, comma-separated; with several backbones, one list for all or one per backbone joined by \'+\'.', defaultHelp: shown('the backbone\'s') }),
    'global-layer': Flags.string({ description: 'Layer whose spatial mean is scored by a whole-image kNN, or "none".', defaultHelp: shown('the backbone\'s when --global-weight > 0, else none') }),
    'global-weight': Flags.string({ description: 'Weight of the standardised whole-image kNN term in the image score.', defaultHelp: shown('0 (measured best on validation; 0.5 helps whole-object defects)') }),
    'score-top-fraction': Flags.string({ description: 'Patch term of the image score: 0 = the max patch distance (PatchCore), > 0 = the mean of this top fraction of the smoothed anomaly map.', defaultHelp: shown('0.1; 0.01 with --tile (small defects in a tile)') }),
    'position-weight': Flags.string({ description: 'Weight of each patch\'s position (row, column as fractions of the image) appended to its features, making the kNN location-aware for aligned parts; 0 = none. With several backbones, one value for all or one per backbone joined by \'+\' (e.g. 128+0).', defaultHelp: shown('the backbone\'s: 128 for MobileNetV2, 0 for InceptionV3') }),
    'coreset-ratio': Flags.string({ description: 'Share of train patches the greedy coreset keeps.', defaultHelp: shown('0.01') }),
    'coreset-scope': Flags.string({
      description: 'What one greedy coreset runs over: all train patches, or (with --tile) the patches of each tile place separately at the same ratio, the bank their union: as many times cheaper as there are places, so more train images fit.',
      options: [...CORESET_SCOPES],
      defaultHelp: shown('tile-place with --tile, else all'),
    }),
    'max-bank-rows': Flags.integer({ description: 'Upper bound on the memory bank rows.', defaultHelp: shown('16384'), min: 1 }),
    'batch-size': Flags.integer({ description: 'Images per backbone pass.', min: 1, default: 8 }),
    textures: Flags.string({ description: 'Folder of texture images for synthetic validation defects.', defaultHelp: shown('the built-in procedural set') }),
    'feature-cache': Flags.string({ description: 'Folder of a content-addressed cache of backbone features (reused by later runs with the same backbone, layers and size).', defaultHelp: shown('none: features are computed afresh') }),
    'feature-cache-mb': Flags.integer({ description: 'Size limit of the feature cache; least recently used entries go first.', min: 1, default: DEFAULT_FEATURE_CACHE_MB }),
    ...featureEngineFlag,
  };

  async run(): Promise<TrainPatchcoreResult & { members?: TrainPatchcoreResult[] }> {
    const { flags } = await this.parse(TrainPatchcore);
    const global = flags['global-layer'];
    const backbones = ensembleBackbones(flags.backbone ?? defaultPatchcoreBackbone(Boolean(flags.tile)));
    // With several backbones, --layers and --position-weight take one value for all members or one per member,
    // joined by '+' in the backbones' order; unset, each member takes its backbone's defaults.
    const layers = perMember('--layers', flags.layers, backbones.length, (v) => listFlag(v) as string[]);
    const positions = perMember('--position-weight', flags['position-weight'], backbones.length, (v) => numberFlag('--position-weight', v) as number);
    const result = await trainPatchcore({
      ...trainRunOptions(flags),
      backbone: flags.backbone,
      layers: layers[0],
      globalLayer: global === undefined ? undefined : global === 'none' ? null : global,
      globalWeight: numberFlag('--global-weight', flags['global-weight']),
      positionWeight: positions[0],
      scoreTopFraction: numberFlag('--score-top-fraction', flags['score-top-fraction']),
      coresetRatio: numberFlag('--coreset-ratio', flags['coreset-ratio']),
      maxBankRows: flags['max-bank-rows'],
      coresetScope: flags['coreset-scope'] as CoresetScope | undefined,
      batchSize: flags['batch-size'],
      textures: flags.textures,
      featureCache: flags['feature-cache'] ?? null,
      featureCacheMb: flags['feature-cache-mb'],
      featureEngine: flags['feature-engine'] as FeatureEngineChoice,
      ...(backbones.length > 1 ? { members: backbones.map((backbone, i) => ({ backbone, layers: layers[i], positionWeight: positions[i] })) } : {}),
    });
    for (const w of result.warnings) this.note(`warning: ${w}`);
    for (const m of result.members ?? []) this.say(`Member ${m.backbone} (${m.layers.join('+')}): ${m.bankRows} of ${m.patchRows} patches, validation image AUROC ${formatMetric(m.metrics.imageAuroc)}, ${m.seconds.toFixed(1)} s; saved ${m.artifact.dir}`);
    const p = result.provenance;
    const from = p.kind === 'npm' ? `${p.package}@${p.version} (${p.license})` : p.kind;
    const what = result.members ? `a PatchCore ensemble of ${result.members.length} banks` : 'PatchCore';
    this.say(`Built ${what} (${result.backbone} from ${from}, ${result.layers.join('+')}${result.globalLayer ? ` + global ${result.globalLayer}` : ''}, ${result.imageSize} px) on ${result.trainImages} images of ${result.category}: ${result.bankRows} of ${result.patchRows} patches kept, ${result.seconds.toFixed(1)} s.`);
    this.say(`Validation image AUROC ${formatMetric(result.metrics.imageAuroc)}, Pixel-AP ${formatMetric(result.metrics.pixelAp)} (${result.validation.normals} normals, ${result.validation.defects} ${result.validation.source} defects); threshold ${result.metrics.threshold.threshold.toPrecision(4)}.`);
    this.say(`Backbone features: ${result.featureEngine.used}${result.featureEngine.reason ? ` (auto fell back: ${result.featureEngine.reason})` : ''}.`);
    if (result.featureCache) this.say(`Feature cache ${result.featureCache.dir}: ${result.featureCache.hits} hits, ${result.featureCache.misses} misses.`);
    this.say(`Saved ${result.artifact.dir}`);
    return result;
  }
}

/** A flag's value per member: unset -> undefined for all; one value -> that value for all; k values joined by '+' -> one each. */
function perMember<T>(flag: string, raw: string | undefined, members: number, parse: (v: string) => T): (T | undefined)[] {
  if (raw === undefined) return Array.from({ length: members }, () => undefined);
  if (members === 1 && raw.includes('+')) {
    throw new MadenetError('E_USAGE', `${flag} is '${raw}' for one backbone; expected one value ('+' joins one value per backbone of an ensemble, --backbone A+B).`);
  }
  const parts = members > 1 ? raw.split('+') : [raw];
  // An empty part ('1+', 'a,b+') would reach the member as no value at all and fail late, after other members trained.
  const empty = parts.findIndex((p) => p.replace(/,/g, '').trim() === '');
  if (empty >= 0) throw new MadenetError('E_USAGE', `${flag} is '${raw}': value ${empty + 1} of ${parts.length} is empty; expected one value for all, or one per backbone joined by '+'.`);
  if (parts.length !== 1 && parts.length !== members) {
    throw new MadenetError('E_USAGE', `${flag} is '${raw}': ${parts.length} values for ${members} backbones; expected one value for all, or one per backbone joined by '+'.`);
  }
  return Array.from({ length: members }, (_, i) => parse((parts.length === 1 ? parts[0] : parts[i]) as string));
}
