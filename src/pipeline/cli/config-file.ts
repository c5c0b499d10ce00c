// `--config run.yaml|run.json`: a recipe file whose settings become flags. Pure functions from the file's
// document, the command's flag definitions and the command line to the argv oclif parses; flags typed on the
// command line win over the file. No oclif import: BaseCommand passes the definitions in.
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MadenetError } from '../core/errors.js';

/** What config-file needs to know of a flag (a subset of oclif's flag definition). */
export interface FlagShape {
  type: 'boolean' | 'option';
  multiple?: boolean;
  allowNo?: boolean;
  aliases?: string[];
  char?: string;
}

export type ConfigDocument = Record<string, unknown>;

/** Flags that steer the config file itself; never read from it, never printed as part of it. */
export const CONFIG_CONTROL_FLAGS = ['config', 'print-config', 'json'] as const;

export async function readConfigFile(path: string): Promise<ConfigDocument> {
  const file = resolve(path);
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new MadenetError('E_CONFIG', `Cannot read the config file ${file} (${err.code ?? err.message}); expected a readable .yaml, .yml or .json file.`);
  });
  const ext = extname(file).toLowerCase();
  let doc: unknown;
  try {
    if (ext === '.json') doc = JSON.parse(text);
    else if (ext === '.yaml' || ext === '.yml') doc = parseYaml(text);
    else throw new Error(`unknown extension ${JSON.stringify(ext)}`);
  } catch (err) {
    throw new MadenetError('E_CONFIG', `The config file ${file} cannot be parsed (${(err as Error).message}); expected YAML (.yaml/.yml) or JSON (.json).`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new MadenetError('E_CONFIG', `The config file ${file} holds ${Array.isArray(doc) ? 'a list' : typeof doc}; expected a mapping of flag names to values.`);
  }
  return doc as ConfigDocument;
}

/**
 * The settings of `doc` that apply to `commandId`: top-level keys that are flags of this command, overridden by
 * the keys of its own section (`train-srad: {...}`, `dataset make-demo: {...}`). A top-level key that is neither a
 * flag of some command nor a command's section, or a section key that is no flag of its command, is an error
 * (a typo would otherwise be ignored silently).
 */
export function settingsFor(doc: ConfigDocument, commandId: string, flags: Record<string, FlagShape>, allCommands: Record<string, string[]>, where: string): Record<string, unknown> {
  const sectionKey = (id: string): string[] => [id, id.replaceAll(':', ' ')];
  const sections = new Set(Object.keys(allCommands).flatMap(sectionKey));
  const anyFlag = new Set(Object.values(allCommands).flat());
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (sections.has(key)) continue;
    if (!anyFlag.has(key)) {
      throw new MadenetError('E_CONFIG', `${where}: "${key}" is neither a flag of any madenet command nor a command's section; expected flag names as on the command line (kebab-case) or sections such as "train-srad".`);
    }
    if (key in flags && !(CONFIG_CONTROL_FLAGS as readonly string[]).includes(key)) out[key] = value;
  }
  for (const id of sectionKey(commandId)) {
    const section = doc[id];
    if (section === undefined || section === null) continue;
    if (typeof section !== 'object' || Array.isArray(section)) {
      throw new MadenetError('E_CONFIG', `${where}: section "${id}" is ${Array.isArray(section) ? 'a list' : typeof section}; expected a mapping of flag names to values.`);
    }
    for (const [key, value] of Object.entries(section as Record<string, unknown>)) {
      if (!(key in flags) || (CONFIG_CONTROL_FLAGS as readonly string[]).includes(key)) {
        throw new MadenetError('E_CONFIG', `${where}: "${id}.${key}" is not a flag of \`madenet ${commandId.replaceAll(':', ' ')}\`; expected one of: ${Object.keys(flags).filter((f) => !(CONFIG_CONTROL_FLAGS as readonly string[]).includes(f)).join(', ')}.`);
      }
      out[key] = value;
    }
  }
  return out;
}

/** Canonical names of the flags the command line gives (by name, alias, --no-name or -c). */
export function flagsGiven(argv: readonly string[], flags: Record<string, FlagShape>): Set<string> {
  const byName = new Map<string, string>();
  const byChar = new Map<string, string>();
  for (const [name, f] of Object.entries(flags)) {
    byName.set(name, name);
    for (const a of f.aliases ?? []) byName.set(a, name);
    if (f.type === 'boolean' && f.allowNo) byName.set(`no-${name}`, name);
    if (f.char) byChar.set(f.char, name);
  }
  const given = new Set<string>();
  for (const token of argv) {
    if (token === '--') break;
    if (token.startsWith('--')) {
      const name = byName.get(token.slice(2).split('=')[0] as string);
      if (name) given.add(name);
    } else if (/^-[A-Za-z]/.test(token)) {
      const name = byChar.get(token[1] as string);
      if (name) given.add(name);
    }
  }
  return given;
}

/** Aliases (old spellings) the command line uses, with the flag each stands for. */
export function aliasesUsed(argv: readonly string[], flags: Record<string, FlagShape>): { alias: string; name: string }[] {
  const used: { alias: string; name: string }[] = [];
  for (const token of argv) {
    if (token === '--') break;
    if (!token.startsWith('--')) continue;
    const word = token.slice(2).split('=')[0] as string;
    for (const [name, f] of Object.entries(flags)) {
      if ((f.aliases ?? []).includes(word) && !used.some((u) => u.alias === word)) used.push({ alias: word, name });
    }
  }
  return used;
}

/** The file's settings as argv tokens, leaving out every flag the command line gives itself. */
export function settingsToArgv(settings: Record<string, unknown>, flags: Record<string, FlagShape>, given: Set<string>, where: string): string[] {
  const argv: string[] = [];
  for (const [name, value] of Object.entries(settings)) {
    if (given.has(name) || value === null || value === undefined) continue;
    const f = flags[name] as FlagShape;
    const bad = (expected: string): MadenetError =>
      new MadenetError('E_CONFIG', `${where}: "${name}" is ${JSON.stringify(value)}; expected ${expected}.`);
    if (f.type === 'boolean') {
      if (typeof value !== 'boolean') throw bad('true or false');
      if (value) argv.push(`--${name}`);
      else if (f.allowNo) argv.push(`--no-${name}`);
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    if (Array.isArray(value) && !f.multiple) throw bad('one value (this flag is not repeatable)');
    for (const v of values) {
      if (typeof v !== 'string' && typeof v !== 'number') throw bad(f.multiple ? 'a string or number, or a list of them' : 'a string or number');
      argv.push(`--${name}=${String(v)}`);
    }
  }
  return argv;
}

/** The effective settings as a config document that --config reads back: `{ "<command>": { flag: value } }`. */
export function effectiveConfig(commandId: string, values: Record<string, unknown>): ConfigDocument {
  const flags: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values).sort(([a], [b]) => a.localeCompare(b))) {
    if (v !== undefined && !(CONFIG_CONTROL_FLAGS as readonly string[]).includes(k)) flags[k] = v;
  }
  return { [commandId.replaceAll(':', ' ')]: flags };
}
