// Command-line flags of `npm run bench:real` (node:util parseArgs) into BenchOptions, with their defaults and
// usage errors. Reads the environment for the data root and runtime defaults; runs nothing.
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MadenetError } from '../../src/pipeline/core/errors.js';
import type { BackendRequest } from '../../src/pipeline/runtime/backend.js';
import type { SubmodelKind } from '../../src/pipeline/core/submodel-kinds.js';
import { isSubmodelKind, submodelKinds } from '../../src/pipeline/submodels/registry.js';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface BenchOptions {
  data: string;
  /** Work folder; each run writes into a new <out>/<timestamp>/ below it. */
  out: string;
  /** Where real.md and real.json go. */
  results: string;
  smoke: boolean;
  budgetMinutes: number;
  sfadRandom: boolean;
  categories: string[] | null;
  epochs: Partial<Record<'srad' | 'lpd' | 'sfad', number>>;
  classifierPreset: 'tiny' | 'small';
  /** The pre-classifier's body: a packaged pretrained network (default) or 'random' (the EfficientNet preset from scratch). */
  classifierBackbone: string;
  classifierImageSize: number;
  classifierEpochs: number;
  classifierLr: number;
  seed: number;
  backend: BackendRequest;
  threads: number;
  textures: string | null;
  /** Test defects and normals per category set aside as --validation-data for a second perfmap (0 = none). */
  realValidation: number;
  /** Leave PatchCore out (the runs before it joined: SRAD, LPD, SFAD only). */
  skipPatchcore: boolean;
  /** The CPU training limit per category that the results are checked against (issue #20: 30 min). */
  limitMinutes: number;
  /** Low-confidence fallback of routed infer: 'validation' (the perfmap's suggestion) or a fixed kind. */
  fallback: 'validation' | SubmodelKind;
  /** An earlier run's real.json: reuse its artifacts and rows, rebuild only the map and the routed results. */
  reroute: string | null;
  /** Print each category's epochs and planned seconds, then stop. */
  planOnly: boolean;
  help: boolean;
}

/**
 * The pre-classifier's body in bench:real: the MobileNetV2 the nsfwjs package ships (no download), fine-tuned.
 * Measured on the shared categories' test images in bench/results/real-2026-12-07-routed/classifier-options.md.
 */
export const DEFAULT_CLASSIFIER_BACKBONE = 'npm:nsfwjs/mobilenet_v2';

export const USAGE = `Usage: npm run bench:real -- [flags]

Runs MADE-Net (train-srad, train-lpd, train-sfad, train-patchcore, finetune where there are real train defects, train-classifier,
build-perfmap, infer, evaluate, and evaluate per submodel) with the small presets at 128 px on every MVTec-layout
category (<dir>/train/good + <dir>/test) found under the data root, and writes real.md and real.json.

  --data DIR               data root (env MADENET_BENCH_DATA; default ../shared/data from the project root)
  --out DIR                work folder for artifacts and predictions (default <tmp>/madenet-bench-real)
  --results DIR            where real.md / real.json go (default bench/results; with --smoke: the run folder)
  --budget-minutes N       training budget per category for SRAD, LPD and SFAD, split into epochs (default 10);
                           PatchCore (no epochs) is planned on top of it
  --fallback K             kind that images the classifier is unsure about go to: validation (default: the kind
                           with the best mean validation objective over the categories) or srad|sfad|lpd|patchcore
  --reroute FILE           reuse the artifacts and per-submodel rows of an earlier run (its real.json): rebuild only
                           the performance map, routed inference and evaluation (minutes instead of hours)
  --skip-patchcore         no PatchCore memory bank (SRAD, LPD, SFAD only, as before it joined)
  --limit-minutes N        training time per category (PatchCore included) the report checks against (default 30)
  --sfad-random            also train SFAD on a random backbone (from the same budget)
  --categories A,B         only these categories (names as listed at the start)
  --epochs srad=N,lpd=N,sfad=N   fixed epochs instead of the budget's
  --classifier-backbone B  the pre-classifier's body: npm:nsfwjs/mobilenet_v2 (default: the packaged pretrained
                           MobileNetV2, fine-tuned at 128 px, 6 epochs, lr 3e-4) or random (the EfficientNet preset
                           from scratch at lr 3e-3: tiny 64 px, 40 epochs, as the demo; small 128 px, 10 epochs)
  --classifier-preset P    tiny (64 px; default with --classifier-backbone random) or small (EfficientNet-B0,
                           128 px; the default on a packaged body, where only its head settings count)
  --classifier-epochs N    default 6 (packaged body) / 40 (tiny) / 10 (small)
  --seed N                 default 42
  --backend B              auto|wasm|cpu|tensorflow (env MADENET_BACKEND; default auto)
  --threads N              (env MADENET_THREADS; default 1)
  --textures DIR           texture images for synthetic defects (default the built-in procedural set)
  --real-validation N      hold out N test defects + N test normals per category (at most a third of each) as a
                           labelled real validation folder: a second perfmap uses it, routing uses that map, and
                           the report compares both maps' validation rankings with the test ranking
  --plan-only              print the categories and each submodel's planned epochs, then stop
  --smoke                  tiny presets, 1 epoch, 32 px, the two smallest categories: proves every step runs`;

export function parseBenchArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      out: { type: 'string' },
      results: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      'budget-minutes': { type: 'string', default: '10' },
      'sfad-random': { type: 'boolean', default: false },
      categories: { type: 'string' },
      epochs: { type: 'string' },
      'classifier-preset': { type: 'string' },
      'classifier-epochs': { type: 'string' },
      'classifier-backbone': { type: 'string', default: DEFAULT_CLASSIFIER_BACKBONE },
      seed: { type: 'string', default: '42' },
      backend: { type: 'string', default: env.MADENET_BACKEND ?? 'auto' },
      threads: { type: 'string', default: env.MADENET_THREADS ?? '1' },
      textures: { type: 'string' },
      'plan-only': { type: 'boolean', default: false },
      'skip-patchcore': { type: 'boolean', default: false },
      fallback: { type: 'string', default: 'validation' },
      reroute: { type: 'string' },
      'limit-minutes': { type: 'string', default: '30' },
      'real-validation': { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const smoke = values.smoke ?? false;
  const classifierBackbone = values['classifier-backbone'] ?? DEFAULT_CLASSIFIER_BACKBONE;
  const random = classifierBackbone === 'random';
  // The measured settings: small's head (label smoothing 0.1) on the packaged body, tiny from scratch as the demo.
  const preset = values['classifier-preset'] ?? (random ? 'tiny' : 'small');
  if (preset !== 'tiny' && preset !== 'small') throw usage(`--classifier-preset is ${preset}; expected tiny or small.`);
  const out = resolve(values.out ?? join(tmpdir(), smoke ? 'madenet-bench-real-smoke' : 'madenet-bench-real'));
  return {
    data: resolve(PROJECT_ROOT, values.data ?? env.MADENET_BENCH_DATA ?? join('..', 'shared', 'data')),
    out,
    results: values.results ? resolve(values.results) : smoke ? '' : join(PROJECT_ROOT, 'bench', 'results'),
    smoke,
    budgetMinutes: positive('--budget-minutes', values['budget-minutes'] ?? '10'),
    sfadRandom: values['sfad-random'] ?? false,
    categories: values.categories ? values.categories.split(',').map((c) => c.trim()).filter(Boolean) : null,
    epochs: parseEpochs(values.epochs),
    classifierPreset: preset,
    classifierBackbone,
    classifierImageSize: smoke ? 32 : !random || preset !== 'tiny' ? 128 : 64,
    classifierEpochs: values['classifier-epochs'] ? integer('--classifier-epochs', values['classifier-epochs']) : smoke ? 1 : !random ? 6 : preset === 'tiny' ? 40 : 10,
    // A pretrained body is fine-tuned gently: at random init's 3e-3 Adam would first undo what it brings.
    classifierLr: random ? 3e-3 : 3e-4,
    seed: integer('--seed', values.seed ?? '42', 0),
    backend: (values.backend ?? 'auto') as BackendRequest,
    threads: integer('--threads', values.threads ?? '1', 0),
    textures: values.textures ? resolve(values.textures) : null,
    realValidation: integer('--real-validation', values['real-validation'] ?? '0', 0),
    skipPatchcore: values['skip-patchcore'] ?? false,
    fallback: fallbackOf(values.fallback ?? 'validation'),
    reroute: values.reroute ? resolve(values.reroute) : null,
    limitMinutes: positive('--limit-minutes', values['limit-minutes'] ?? '30'),
    planOnly: values['plan-only'] ?? false,
    help: values.help ?? false,
  };
}

/** "srad=4,lpd=10,sfad=40" -> { srad: 4, lpd: 10, sfad: 40 }. */
export function parseEpochs(text: string | undefined): BenchOptions['epochs'] {
  const out: BenchOptions['epochs'] = {};
  if (!text) return out;
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [key, value] = part.split('=');
    if (key !== 'srad' && key !== 'lpd' && key !== 'sfad') throw usage(`--epochs has ${JSON.stringify(part)}; expected srad=N, lpd=N or sfad=N.`);
    out[key] = integer(`--epochs ${key}`, value ?? '');
  }
  return out;
}

function fallbackOf(text: string): BenchOptions['fallback'] {
  if (text === 'validation' || isSubmodelKind(text)) return text as BenchOptions['fallback'];
  throw usage(`--fallback is ${JSON.stringify(text)}; expected validation or one of ${submodelKinds().join(', ')}.`);
}

function positive(flag: string, text: string): number {
  const v = Number(text);
  if (!(Number.isFinite(v) && v > 0)) throw usage(`${flag} is ${JSON.stringify(text)}; expected a number > 0.`);
  return v;
}

function integer(flag: string, text: string, min = 1): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw usage(`${flag} is ${JSON.stringify(text)}; expected an integer >= ${min}.`);
  return v;
}

function usage(message: string): MadenetError {
  return new MadenetError('E_USAGE', message, { suggestions: ['npm run bench:real -- --help'] });
}
