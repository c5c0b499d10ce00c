// `madenet build-perfmap`: flags -> services/build-perfmap.ts -> a per-category summary (or the JSON result).
import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { ARTIFACT_REFERENCE, categoryFilterFlag, featureEngineFlagFor, dataFlag, runtimeFlags, seedFlag, shown, TARGET_FPR_DESCRIPTION_PREFIX } from '../pipeline/cli/flags.js';
import { createProgress } from '../pipeline/cli/progress.js';
import type { BackendRequest } from '../pipeline/runtime/backend.js';
import type { FeatureEngineChoice } from '../pipeline/features/onnx-features.js';
import { buildPerfmap, type BuildPerfmapResult } from '../pipeline/services/build-perfmap.js';
import { routedThreshold } from '../pipeline/perfmap/schema.js';

export default class BuildPerfmap extends BaseCommand {
  static override summary = 'Evaluate submodels on validation data and choose the best one per category.';
  static override description =
    'Scores every --model artifact on its category\'s validation data, never the test split: the train-split defects where ' +
    'the dataset has them (ManuDefect-21 style) plus a seeded hold-out of train normals, otherwise that hold-out plus synthetic ' +
    'defects made from it. Per category it keeps image AUROC and Pixel-AP of every submodel, chooses the argmax of ' +
    'lambda*AUROC + (1-lambda)*Pixel-AP, and records the margin to the runner-up, decision thresholds (F1-optimal with real ' +
    'defects, else the normal-score quantile at --target-fpr) and the exact artifact versions, in <out>/perfmap/all/vNNNN. ' +
    '--validation-data DIR (a small labelled folder of real defects, masks optional) is used in preference wherever it has ' +
    'defects of a category. Where no validation defect has a mask (image-level labels) the choice is by image AUROC alone ' +
    '(lambda ignored), and the output says so.';
  static override examples = [
    '<%= config.bin %> build-perfmap --data ./madenet-demo/data --model ./artifacts/srad/BGA/v0001 --model ./artifacts/sfad/BGA/v0001 --out ./artifacts',
    '<%= config.bin %> build-perfmap --data ./data --model ./artifacts/srad/BGA --model ./artifacts/sfad/BGA --model ./artifacts/lpd/BGA --classifier ./artifacts/classifier/all --lambda 0.7 --out ./artifacts --json',
    '<%= config.bin %> build-perfmap --data ./data --validation-data ./real-defects --model ./artifacts/lpd/BGA --model ./artifacts/sfad/BGA --out ./artifacts',
  ];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    ...dataFlag(' whose train split gives the validation data'),
    model: Flags.string({
      description: `Submodel artifact to measure (${ARTIFACT_REFERENCE}); repeat the flag for each.`,
      multiple: true,
      required: true,
      aliases: ['models'],
    }),
    classifier: Flags.string({ description: `Pre-classifier artifact from train-classifier (${ARTIFACT_REFERENCE}) that infer routes with.`, defaultHelp: shown('none: infer then needs --assume-category or PATH<TAB>CATEGORY input') }),
    lambda: Flags.string({ description: 'Weight of image AUROC against Pixel-AP in the choice, in [0, 1].', default: '0.5' }),
    'target-fpr': Flags.string({ description: `${TARGET_FPR_DESCRIPTION_PREFIX} of the normal-only threshold (used without real validation defects).`, default: '0.01' }),
    'val-fraction': Flags.string({ description: 'Fraction of train normals held out for validation (at most 64 images).', default: '0.2' }),
    'validation-data': Flags.string({
      description: 'Labelled real defects (and normals) to validate on, MVTec layout or manifest, masks optional; preferred over train-split or synthetic defects for the categories it has.',
      defaultHelp: shown('none: train-split defects, else synthetic ones'),
    }),
    ...categoryFilterFlag(),
    'batch-size': Flags.integer({ description: 'Images per forward pass.', default: 8, min: 1 }),
    ...featureEngineFlagFor("a PatchCore model's validation images (other kinds validate in tfjs)"),
    textures: Flags.string({ description: 'Folder of texture images for synthetic defects.', defaultHelp: shown('the built-in procedural set') }),
    out: Flags.string({ char: 'o', description: 'Artifact root; the map is saved to <out>/perfmap/all/vNNNN.', required: true }),
  };

  async run(): Promise<BuildPerfmapResult> {
    const { flags } = await this.parse(BuildPerfmap);
    const progress = createProgress({ label: 'validation', json: this.jsonEnabled(), fields: ['category'] });
    let current = '';
    const result = await buildPerfmap({
      data: flags.data,
      models: flags.model,
      ...(flags.classifier ? { classifier: flags.classifier } : {}),
      lambda: Number(flags.lambda),
      targetFpr: Number(flags['target-fpr']),
      valFraction: Number(flags['val-fraction']),
      seed: flags.seed,
      out: flags.out,
      ...(flags.category ? { categories: flags.category } : {}),
      ...(flags['validation-data'] ? { validationData: flags['validation-data'] } : {}),
      batchSize: flags['batch-size'],
      featureEngine: flags['feature-engine'] as FeatureEngineChoice,
      ...(flags.textures ? { textures: flags.textures } : {}),
      backend: flags.backend as BackendRequest,
      threads: flags.threads,
      onProgress: ({ category, done, total }) => {
        if (category !== current) {
          current = category;
          progress.setTotal(total);
        }
        progress.update(done, { category });
      },
    }).finally(() => progress.stop());
    for (const w of result.warnings) this.note(`warning: ${w}`);
    const f = (v: number | null | undefined): string => (v === null || v === undefined ? 'n/a' : v.toFixed(3));
    this.say(`lambda ${result.perfmap.lambda}: objective = lambda * image AUROC + (1 - lambda) * Pixel-AP; thresholds on the score scale infer reports (standard deviations above the validation normals' mean)`);
    for (const [category, e] of Object.entries(result.perfmap.categories)) {
      const cands = e.candidates.map((c) => `${c.kind} ${f(c.objective)} (AUROC ${f(c.imageAuroc)}, Pixel-AP ${f(c.pixelAp)}, threshold ${routedThreshold(c).toPrecision(4)} by ${c.threshold.method})`);
      const source = { synthetic: 'synthetic', 'train-defects': 'train', 'validation-data': '--validation-data' }[e.validation.source];
      const by = e.validation.objective === 'image-auroc' ? ', chosen by image AUROC only (no masks)' : '';
      this.say(`${category}: ${e.chosen}${e.margin === null ? '' : ` by ${f(e.margin)}${e.tie ? ' (tie)' : ''}`} on ${e.validation.normals} normals + ${e.validation.defects} ${source} defects${by}`);
      for (const c of cands) this.say(`  ${c}`);
    }
    for (const e of result.featureEngines) this.say(`Backbone features of ${e.dir}: ${e.used}${e.reason ? ` (auto fell back: ${e.reason})` : ''}.`);
    this.say(`Saved ${result.artifact.dir}`);
    return result;
  }
}
