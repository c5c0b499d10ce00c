// The manifest.json written into every artifact version: what it is, how it was made, and the sha256 of
// every other file in it. Parsing refuses newer schema versions instead of guessing at their meaning.
import { readFileSync } from 'node:fs';
import { MadenetError } from '../core/errors.js';
import type { Invocation } from './invocation.js';

/** Bump when the manifest changes incompatibly; readers refuse anything newer than they know. */
export const ARTIFACT_SCHEMA_VERSION = 1;

export interface ArtifactParent {
  kind: string;
  category: string;
  version: number;
}

export interface ArtifactFileEntry {
  sha256: string;
  bytes: number;
}

export interface ArtifactManifest {
  schemaVersion: number;
  kind: string;
  category: string;
  version: number;
  /** ISO 8601 time of writing. */
  created: string;
  tool: { name: string; version: string };
  /** Compute backend that produced it (e.g. "wasm"), when known. */
  backend: string | null;
  runtime: unknown;
  config: unknown;
  seed: number;
  datasetFingerprint: string | null;
  metrics: Record<string, unknown>;
  parents: ArtifactParent[];
  /** Names of the tfjs models stored (see modelArtifacts). */
  models: string[];
  /** The madenet command (and its effective flags and config file) that wrote it; absent when written by library code. */
  invocation?: Invocation;
  /** Present on training checkpoints only. */
  checkpoint?: { step: number; state: unknown };
  /** Every file of the version except manifest.json itself, by relative path. */
  files: Record<string, ArtifactFileEntry>;
}

export function parseManifest(text: string, path: string): ArtifactManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new MadenetError('E_ARTIFACT', `Artifact manifest ${path} is not valid JSON (${(err as Error).message}); expected a madenet manifest.`);
  }
  const m = value as Partial<ArtifactManifest> | null;
  if (typeof m !== 'object' || m === null || !Number.isInteger(m.schemaVersion)) {
    throw new MadenetError('E_SCHEMA', `Artifact manifest ${path} has no integer schemaVersion; expected a madenet manifest.`);
  }
  if ((m.schemaVersion as number) > ARTIFACT_SCHEMA_VERSION) {
    throw new MadenetError(
      'E_SCHEMA',
      `Artifact manifest ${path} has schema version ${m.schemaVersion}, written by a newer madenet${m.tool?.version ? ` (${m.tool.version})` : ''}; this madenet (${toolVersion()}) reads schema ${ARTIFACT_SCHEMA_VERSION} or older.`,
      { suggestions: ['Upgrade madenet, or re-create the artifact with this version.'] },
    );
  }
  if (typeof m.kind !== 'string' || typeof m.category !== 'string' || !Number.isInteger(m.version) || typeof m.files !== 'object' || m.files === null) {
    throw new MadenetError('E_SCHEMA', `Artifact manifest ${path} lacks kind, category, version or files; expected schema ${m.schemaVersion}.`);
  }
  // Every field code reads later is checked here, so a tampered manifest is a coded error, not a crash.
  const field = (name: string, got: unknown, expected: string): MadenetError =>
    new MadenetError('E_SCHEMA', `Artifact manifest ${path} has ${name} ${truncated(got)}; expected ${expected}.`);
  if (Array.isArray(m.files)) throw field('files', m.files, 'an object of file name -> { sha256, bytes }');
  for (const [name, entry] of Object.entries(m.files as Record<string, unknown>)) {
    const e = entry as Partial<ArtifactFileEntry> | null;
    if (typeof e !== 'object' || e === null || typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256) || !Number.isSafeInteger(e.bytes) || (e.bytes as number) < 0) {
      throw field(`files["${name}"]`, entry, 'a { sha256: 64 hex digits, bytes: integer >= 0 } entry');
    }
  }
  if (m.models !== undefined && (!Array.isArray(m.models) || m.models.some((x) => typeof x !== 'string'))) throw field('models', m.models, 'an array of model names');
  if (m.parents !== undefined && (!Array.isArray(m.parents) || m.parents.some((x) => typeof x !== 'object' || x === null))) throw field('parents', m.parents, 'an array of artifact references');
  if (m.metrics !== undefined && m.metrics !== null && (typeof m.metrics !== 'object' || Array.isArray(m.metrics))) throw field('metrics', m.metrics, 'an object');
  return { ...m, models: m.models ?? [], parents: m.parents ?? [], metrics: m.metrics ?? {} } as ArtifactManifest;
}

function truncated(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

let cachedVersion: string | undefined;

/** madenet's own version from package.json (same relative place under src/ and dist/). */
export function toolVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
      cachedVersion = pkg.version ?? 'unknown';
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}
