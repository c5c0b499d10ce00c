// Flag sets shared by several commands, so that a flag means the same thing everywhere (test/commands/
// flag-vocabulary.test.ts checks every command against this vocabulary). Old spellings stay as flag
// aliases, and BaseCommand warns on stderr that they are deprecated when one is used.
import { Flags } from '@oclif/core';
import type { TileSpec } from '../io/tiles.js';

export const runtimeFlags = {
  backend: Flags.string({
    description:
      'Compute backend: auto tries tensorflow (tfjs-node-gpu, then tfjs-node), then webgpu (a hardware GPU through Dawn/Vulkan; software adapters such as lavapipe are skipped), then wasm, then cpu.',
    options: ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'],
    env: 'MADENET_BACKEND',
    default: 'auto',
  }),
  threads: Flags.integer({
    char: 't',
    description: 'Compute threads for the wasm backend (0 = one per core).',
    env: 'MADENET_THREADS',
    min: 0,
    default: 0,
    // oclif's help leaves out a falsy default; this shows it like every other one.
    defaultHelp: shown('0'),
  }),
};

export const seedFlag = {
  seed: Flags.integer({ description: 'Seed for every random choice (data order, synthesis, initialisation).', default: 42 }),
};

export const IMAGE_SIZE_DESCRIPTION = 'Images are resized to this square size in pixels; a size other than the data\'s is warned about and recorded.';

/** `defaultHelp` names the default the help shows, e.g. "the preset's"; oclif prints it as [default: ...]. */
export function imageSizeFlagWith(defaultHelp: string) {
  return { 'image-size': Flags.integer({ description: IMAGE_SIZE_DESCRIPTION, min: 8, defaultHelp: shown(defaultHelp) }) };
}

export const imageSizeFlag = imageSizeFlagWith('the preset\'s');

// --category has one meaning everywhere: the categories to work on, by name. Commands that work on one category
// take exactly one; the others take any number (repeat the flag or give a comma list).
export const CATEGORY_ONE_DESCRIPTION = 'Category to work on (its folder name under --data); exactly one.';
export const CATEGORY_FILTER_DESCRIPTION = 'Categories to work on (folder names under --data): repeat the flag or give a comma list.';

export function categoryFlag() {
  return { category: Flags.string({ description: CATEGORY_ONE_DESCRIPTION, required: true }) };
}

export function categoryFilterFlag(defaultHelp = 'every category of --data') {
  return {
    category: Flags.string({ description: CATEGORY_FILTER_DESCRIPTION, multiple: true, delimiter: ',' as const, defaultHelp: shown(defaultHelp), aliases: ['categories'] }),
  };
}

// --data is a dataset root everywhere (never loose images: those are --input / --parity-input).
export const DATA_DESCRIPTION_PREFIX = 'Dataset root (MVTec AD layout, ManuDefect-21 extension) or manifest .csv/.jsonl';

export function dataFlag(purpose = '') {
  return { data: Flags.string({ char: 'd', description: `${DATA_DESCRIPTION_PREFIX}${purpose}.`, required: true }) };
}

/** A model or other artifact is named by its directory: a vNNNN version, or <root>/<kind>/<category> for its LATEST. */
export const ARTIFACT_REFERENCE = 'a vNNNN directory, or <root>/<kind>/<category> for its LATEST';

export const TARGET_FPR_DESCRIPTION_PREFIX = 'Target false-positive rate';

/** Data, output and checkpoint flags every submodel trainer (train-srad, train-sfad, train-lpd) takes alike. */
/** The flags train-srad, train-sfad and train-lpd share, in the order their help lists them (then each its own). */
export function submodelTrainFlags(kind: string, presets: readonly string[]) {
  return {
    ...runtimeFlags,
    ...seedFlag,
    ...submodelTrainingFlags(kind),
    ...imageSizeFlag,
    ...trainingTileFlags(),
    preset: Flags.string({ description: 'Model size.', options: [...presets], default: 'small' }),
  };
}

function submodelTrainingFlags(kind: string) {
  return {
    ...dataFlag(),
    ...categoryFlag(),
    out: Flags.string({ char: 'o', description: `Artifact root; the model is saved to <out>/${kind}/<category>/vNNNN.`, required: true }),
    'val-fraction': Flags.string({ description: 'Share of train normals held out for validation (at most 64 images).', default: '0.2' }),
    'checkpoint-every': Flags.integer({ description: 'Save a checkpoint every N steps and at each epoch end (0 = never).', default: 100, min: 0 }),
    resume: Flags.boolean({ description: 'Continue from the newest checkpoint of this category in --out.', default: false }),
  };
}

// --tile has one meaning everywhere: overlapping squares of N source pixels, each resized to the model's
// --image-size (tile = image size: native resolution); --tile-overlap the share a neighbour repeats.
export const TILE_DESCRIPTION_PREFIX = 'Overlapping square tiles of this many source pixels (small defects on large images)';
export const TILE_OVERLAP_DESCRIPTION = 'Fraction of a tile shared with its neighbour, in [0, 1).';

/** --tile, --tile-overlap and --max-tiles-per-image of the trainers (every submodel alike). */
export function trainingTileFlags() {
  return {
    tile: Flags.integer({
      description: `${TILE_DESCRIPTION_PREFIX}: train on them, each resized to --image-size, instead of on the whole image resized down. Recorded in the artifact, so that infer and evaluate tile its inputs alike. 0 = whole images.`,
      default: 0,
      min: 0,
      defaultHelp: shown('0'),
    }),
    'tile-overlap': Flags.string({ description: TILE_OVERLAP_DESCRIPTION, default: '0.25' }),
    'max-tiles-per-image': Flags.integer({ description: 'With --tile: most tiles taken from one training image (a seeded subset beyond it), so memory stays flat in image size.', default: 64, min: 1 }),
  };
}

/** The TileSpec of trainingTileFlags' values, or null without --tile. */
export function tileSpecOf(flags: { tile: number; 'tile-overlap': string; 'max-tiles-per-image': number }): TileSpec | null {
  return flags.tile > 0 ? { tile: flags.tile, overlap: Number(flags['tile-overlap']), maxTilesPerImage: flags['max-tiles-per-image'] } : null;
}

/** --feature-engine of the trainers with a frozen backbone (train-sfad, train-patchcore): one meaning for both. */
/** --feature-engine, described for the images the command runs the frozen backbone over. */
export function featureEngineFlagFor(images: string) {
  return {
    'feature-engine': Flags.string({
      description: `What runs the frozen backbone over ${images}: onnxruntime-node on the CPU, tfjs, or auto (onnx on the wasm/cpu backends when onnxruntime-node is installed and can run the backbone, else tfjs; the result says which ran and why).`,
      options: ['auto', 'onnx', 'tfjs'],
      default: 'auto',
    }),
  };
}

export const featureEngineFlag = featureEngineFlagFor('the training (and, for PatchCore, validation) images');

/**
 * The default the help shows for a flag whose default is decided later (by a preset, the parent artifact, the data):
 * oclif prints it as `[default: <text>]`, like a static default. oclif types defaultHelp as the flag's value type,
 * so a text for a number or list flag must come from a function.
 */
export function shown(text: string): () => Promise<string> {
  return async () => text;
}
