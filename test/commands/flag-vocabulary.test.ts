// One flag vocabulary across commands: every command's flags are scanned, and a flag name that the vocabulary
// knows must mean the same thing wherever it appears; every optional value flag shows its default the oclif way.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ARTIFACT_REFERENCE,
  CATEGORY_FILTER_DESCRIPTION,
  CATEGORY_ONE_DESCRIPTION,
  DATA_DESCRIPTION_PREFIX,
  IMAGE_SIZE_DESCRIPTION,
  TARGET_FPR_DESCRIPTION_PREFIX,
  TILE_DESCRIPTION_PREFIX,
  TILE_OVERLAP_DESCRIPTION,
} from '../../src/pipeline/cli/flags.js';

const commandsDir = fileURLToPath(new URL('../../src/commands', import.meta.url));

interface FlagDef {
  type: 'boolean' | 'option';
  description?: string;
  default?: unknown;
  defaultHelp?: unknown;
  required?: boolean;
  multiple?: boolean;
  delimiter?: string;
  aliases?: string[];
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : n.endsWith('.ts') ? [join(dir, n)] : []));
}

const commands: { id: string; flags: Record<string, FlagDef> }[] = [];
for (const file of files(commandsDir).sort()) {
  const mod = (await import(file)) as { default: { flags?: Record<string, FlagDef>; baseFlags?: Record<string, FlagDef> } };
  commands.push({ id: relative(commandsDir, file).replace(/\.ts$/, '').replaceAll('/', ' '), flags: { ...mod.default.baseFlags, ...mod.default.flags } });
}

/** Flag name -> what its description must say (the "type" of its meaning), and its shape. */
const VOCABULARY: Record<string, (f: FlagDef) => string | null> = {
  category: (f) =>
    f.multiple
      ? f.description?.startsWith(CATEGORY_FILTER_DESCRIPTION) && f.delimiter === ','
        ? null
        : 'a category filter must be repeatable and take comma lists, described as CATEGORY_FILTER_DESCRIPTION'
      : f.description === CATEGORY_ONE_DESCRIPTION && f.required
        ? null
        : 'a single --category must be required and described as CATEGORY_ONE_DESCRIPTION',
  data: (f) => (f.description?.startsWith(DATA_DESCRIPTION_PREFIX) ? null : '--data must be a dataset root (DATA_DESCRIPTION_PREFIX)'),
  out: (f) => (/^(Artifact root|Output directory)/.test(f.description ?? '') ? null : '--out must be an artifact root or an output directory'),
  model: (f) => (f.description?.includes(ARTIFACT_REFERENCE) ? null : '--model must name an artifact as ARTIFACT_REFERENCE says'),
  'target-fpr': (f) => (f.description?.startsWith(TARGET_FPR_DESCRIPTION_PREFIX) ? null : '--target-fpr must be described as a target false-positive rate'),
  'image-size': (f) => (f.description === IMAGE_SIZE_DESCRIPTION ? null : '--image-size must use IMAGE_SIZE_DESCRIPTION'),
  tile: (f) => (f.description?.startsWith(TILE_DESCRIPTION_PREFIX) ? null : '--tile must be tiles of N source pixels (TILE_DESCRIPTION_PREFIX)'),
  'tile-overlap': (f) => (f.description === TILE_OVERLAP_DESCRIPTION ? null : '--tile-overlap must use TILE_OVERLAP_DESCRIPTION'),
};

/** Old spellings: never a flag's own name any more, only an alias. */
const RETIRED = ['categories', 'models', 'fpr'];

describe('flag vocabulary', () => {
  it('finds every command', () => {
    expect(commands.map((c) => c.id)).toEqual(expect.arrayContaining(['infer', 'build-perfmap', 'evaluate', 'export', 'train-srad', 'dataset make-demo', 'demo']));
  });

  it('gives every vocabulary flag one meaning in every command', () => {
    const problems: string[] = [];
    for (const c of commands) {
      for (const [name, f] of Object.entries(c.flags)) {
        const why = VOCABULARY[name]?.(f);
        if (why) problems.push(`${c.id} --${name}: ${why} (has ${JSON.stringify(f.description)})`);
        if (RETIRED.includes(name)) problems.push(`${c.id} --${name}: retired spelling used as a flag name`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('shows every default of an optional value flag the oclif way, never in the description', () => {
    const problems: string[] = [];
    for (const c of commands) {
      for (const [name, f] of Object.entries(c.flags)) {
        if (/\bdefault\b/i.test(f.description ?? '') && !/\bby default\b/i.test(f.description ?? '')) problems.push(`${c.id} --${name}: default written in the description`);
        if (f.type === 'option' && !f.required && f.default === undefined && f.defaultHelp === undefined && !['predictions', 'model', 'shard'].includes(name)) {
          problems.push(`${c.id} --${name}: optional, without a default shown`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('keeps the old spellings as aliases of their new names', () => {
    const alias = (id: string, flag: string): string[] => commands.find((c) => c.id === id)?.flags[flag]?.aliases ?? [];
    expect(alias('build-perfmap', 'model')).toContain('models');
    expect(alias('evaluate', 'target-fpr')).toContain('fpr');
    expect(alias('export', 'parity-input')).toContain('data');
    expect(alias('infer', 'assume-category')).toContain('category');
    expect(alias('demo', 'category')).toContain('categories');
    expect(alias('dataset make-demo', 'category')).toContain('categories');
  });
});
