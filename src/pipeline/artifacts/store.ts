// The versioned artifact store: <root>/<kind>/<category>/vNNNN/ with manifest.json (sha256 of every file)
// and a LATEST pointer. A version is built in a temp dir beside it, renamed into place under a lock, and
// never overwritten; loaders verify every checksum and refuse newer schemas.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { isMadenetError, MadenetError } from '../core/errors.js';
import { readRegularFile } from '../io/safe-file.js';
import { checkFileName, checkSegment, sha256, sha256File, syncDir, writeFileSynced } from './files.js';
import { acquireLock, isAlive, LOCK_DRAFT } from './lock.js';
import { currentInvocation, type Invocation } from './invocation.js';
import { checkModelWeights } from './weight-values.js';
import { ARTIFACT_SCHEMA_VERSION, parseManifest, toolVersion, type ArtifactFileEntry, type ArtifactManifest } from './manifest.js';
import { MODEL_JSON, WEIGHTS_BIN, modelArtifactsFromFiles, modelFiles } from './tfjs-files.js';

export const MANIFEST_FILE = 'manifest.json';
export const LATEST_FILE = 'LATEST';
const TMP_PREFIX = '.tmp-';
/** How long a version write waits for another writer of the same <kind>/<category> to finish. */
const VERSION_LOCK_WAIT_MS = 60_000;
/** A manifest lists a few dozen files; anything this large is not one (and is not read into memory). */
const MAX_MANIFEST_BYTES = 16 * 2 ** 20;

export interface ArtifactRef {
  kind: string;
  category: string;
  version: number;
  /** Absolute path of the vNNNN directory. */
  dir: string;
}

export interface WriteArtifactOptions {
  root: string;
  kind: string;
  category: string;
  config: unknown;
  seed: number;
  datasetFingerprint?: string;
  metrics?: Record<string, unknown>;
  parents?: Pick<ArtifactRef, 'kind' | 'category' | 'version'>[];
  /** Runtime description (backend, threads, ...); its `backend` field fills manifest.backend. */
  runtime?: unknown;
  backend?: string;
  /** Extra files by relative name (e.g. "thresholds.json"). */
  files?: Record<string, Buffer | string>;
  /** tfjs models: "model" -> model.json + weights.bin; other names -> <name>/model.json + <name>/weights.bin. */
  models?: Record<string, tf.io.ModelArtifacts>;
  /**
   * When LATEST already holds exactly this (same files byte for byte, config, seed, data and parents), return it
   * instead of writing a copy: what a --resume of a finished training does.
   */
  reuseIdentical?: boolean;
  /**
   * Write the version but leave LATEST where it is: the members of a PatchCore ensemble, so that a run stopped
   * between a member and the ensemble never leaves LATEST on a lone member.
   */
  keepLatest?: boolean;
}

export interface LoadedArtifact {
  ref: ArtifactRef;
  manifest: ArtifactManifest;
  dir: string;
  /** Reads a file listed in the manifest, verifying its sha256 again. */
  readFile(name: string): Promise<Buffer>;
  /** The tfjs model stored under `name` (default "model"), ready for tf.io.fromMemory. */
  modelArtifacts(name?: string): Promise<tf.io.ModelArtifacts>;
}

export function versionName(version: number): string {
  return `v${String(version).padStart(4, '0')}`;
}

const VERSION_DIR = /^v(\d{4,})$/;

export function artifactDir(root: string, kind: string, category: string): string {
  return join(root, checkSegment('kind', kind), checkSegment('category', category));
}

export async function writeArtifact(opts: WriteArtifactOptions): Promise<ArtifactRef> {
  return writeVersion(artifactDir(opts.root, opts.kind, opts.category), opts, {});
}

/** Internal form shared with checkpoints: `base` is the <kind>/<category> directory. */
export async function writeVersion(
  base: string,
  opts: Omit<WriteArtifactOptions, 'root'>,
  extra: { checkpoint?: ArtifactManifest['checkpoint']; keep?: number },
): Promise<ArtifactRef> {
  // NaN, Inf or exploded weights never become a version (nor LATEST), whoever made them.
  for (const [name, artifacts] of Object.entries(opts.models ?? {})) checkModelWeights(`model "${name}" of ${opts.kind}/${opts.category}`, artifacts);
  const payload = planFiles(opts);
  await mkdir(base, { recursive: true });
  // Writing a version takes seconds at most: another writer waits its turn instead of failing.
  const release = await acquireLock(base, { waitMs: VERSION_LOCK_WAIT_MS, command: 'artifact write' });
  let tmp: string | undefined;
  try {
    // Leftovers of writers killed mid-save: nobody else can be writing while we hold the lock.
    await removeTemps(base);
    if (opts.reuseIdentical && !extra.checkpoint) {
      const same = await identicalLatest(base, opts, payload);
      if (same) return same;
    }
    const existing = await versionNumbers(base);
    const version = (existing[existing.length - 1] ?? 0) + 1;
    const name = versionName(version);
    tmp = join(base, `${TMP_PREFIX}${name}-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(tmp);
    const files: Record<string, ArtifactFileEntry> = {};
    for (const [rel, data] of payload) {
      await writeFileSynced(join(tmp, rel), data);
      files[rel] = { sha256: sha256(data), bytes: Buffer.byteLength(data) };
    }
    const runtimeBackend = (opts.runtime as { backend?: unknown } | undefined)?.backend;
    const manifest: ArtifactManifest = {
      schemaVersion: ARTIFACT_SCHEMA_VERSION,
      kind: opts.kind,
      category: opts.category,
      version,
      created: new Date().toISOString(),
      tool: { name: 'madenet', version: toolVersion() },
      backend: opts.backend ?? (typeof runtimeBackend === 'string' ? runtimeBackend : null),
      runtime: opts.runtime ?? null,
      config: opts.config ?? null,
      seed: opts.seed,
      datasetFingerprint: opts.datasetFingerprint ?? null,
      metrics: opts.metrics ?? {},
      parents: (opts.parents ?? []).map((p) => ({ kind: p.kind, category: p.category, version: p.version })),
      models: Object.keys(opts.models ?? {}).sort(),
      ...(currentInvocation() ? { invocation: currentInvocation() as Invocation } : {}),
      ...(extra.checkpoint ? { checkpoint: extra.checkpoint } : {}),
      files,
    };
    await writeFileSynced(join(tmp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const d of new Set([...payload.keys()].map((rel) => dirname(join(tmp as string, rel))))) await syncDir(d);
    await syncDir(tmp);
    const final = join(base, name);
    if (await exists(final)) {
      throw new MadenetError('E_EXISTS', `Artifact version ${final} already exists; versions are never overwritten.`);
    }
    await rename(tmp, final);
    tmp = undefined;
    await syncDir(base);
    if (!opts.keepLatest) await writeLatest(base, name);
    if (extra.keep !== undefined) await prune(base, extra.keep, version);
    return { kind: opts.kind, category: opts.category, version, dir: final };
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    await release();
  }
}

async function identicalLatest(base: string, opts: Omit<WriteArtifactOptions, 'root'>, payload: Map<string, Buffer | string>): Promise<ArtifactRef | null> {
  const latest = await loadArtifact(base).catch(() => null);
  if (!latest) return null;
  const m = latest.manifest;
  const files = Object.entries(m.files);
  if (files.length !== payload.size) return null;
  for (const [rel, entry] of files) {
    const data = payload.get(rel);
    if (data === undefined || entry.bytes !== Buffer.byteLength(data) || entry.sha256 !== sha256(data)) return null;
  }
  const parents = (opts.parents ?? []).map((p) => ({ kind: p.kind, category: p.category, version: p.version }));
  const same =
    m.kind === opts.kind &&
    m.category === opts.category &&
    m.seed === opts.seed &&
    m.datasetFingerprint === (opts.datasetFingerprint ?? null) &&
    JSON.stringify(m.config) === JSON.stringify(opts.config ?? null) &&
    JSON.stringify(m.parents) === JSON.stringify(parents);
  return same ? latest.ref : null;
}

function planFiles(opts: Omit<WriteArtifactOptions, 'root'>): Map<string, Buffer | string> {
  const out = new Map<string, Buffer | string>();
  const add = (rel: string, data: Buffer | string): void => {
    checkFileName(rel);
    if (rel === MANIFEST_FILE || rel === LATEST_FILE || out.has(rel)) {
      throw new MadenetError('E_ARTIFACT', `Artifact file "${rel}" is given twice or is reserved; expected unique names other than ${MANIFEST_FILE}.`);
    }
    out.set(rel, data);
  };
  for (const [name, artifacts] of Object.entries(opts.models ?? {})) {
    checkSegment('model name', name);
    const prefix = name === 'model' ? '' : `${name}/`;
    const { json, weights } = modelFiles(artifacts, name);
    add(`${prefix}${MODEL_JSON}`, json);
    add(`${prefix}${WEIGHTS_BIN}`, weights);
  }
  for (const [rel, data] of Object.entries(opts.files ?? {})) add(rel, data);
  return out;
}

async function writeLatest(base: string, name: string): Promise<void> {
  // Replace LATEST by rename so that a reader sees the old or the new name, never a partial one.
  const tmp = join(base, `${TMP_PREFIX}latest-${process.pid}-${randomBytes(4).toString('hex')}`);
  await writeFileSynced(tmp, `${name}\n`);
  await rename(tmp, join(base, LATEST_FILE));
  await syncDir(base);
}

async function prune(base: string, keep: number, current: number): Promise<void> {
  const versions = await versionNumbers(base);
  const doomed = versions.filter((v) => v !== current).slice(0, Math.max(0, versions.length - Math.max(1, keep)));
  for (const v of doomed) {
    // Rename first, so a half-deleted version is never visible under its vNNNN name.
    const trash = join(base, `${TMP_PREFIX}trash-${versionName(v)}-${randomBytes(4).toString('hex')}`);
    await rename(join(base, versionName(v)), trash);
    await rm(trash, { recursive: true, force: true });
  }
}

async function removeTemps(base: string): Promise<void> {
  for (const e of await readdir(base)) {
    if (e.startsWith(TMP_PREFIX)) await rm(join(base, e), { recursive: true, force: true });
    // Lock drafts of dead processes; a live one may be racing us for the lock right now, so it stays.
    const draft = LOCK_DRAFT.exec(e);
    if (draft && !isAlive(Number(draft[1]))) await rm(join(base, e), { force: true });
  }
}

async function versionNumbers(base: string): Promise<number[]> {
  const entries = await readdir(base, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => VERSION_DIR.exec(e.name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Complete versions (those with a manifest), oldest first. */
export async function listVersions(root: string, kind: string, category: string): Promise<ArtifactRef[]> {
  const base = artifactDir(root, kind, category);
  const refs: ArtifactRef[] = [];
  for (const v of await versionNumbers(base)) {
    const dir = join(base, versionName(v));
    if (await exists(join(dir, MANIFEST_FILE))) refs.push({ kind, category, version: v, dir });
  }
  return refs;
}

/**
 * Loads a version directory, or the one LATEST names in a <root>/<kind>/<category> directory (a path to
 * manifest.json also works). Every file's sha256 is verified before this returns.
 */
export async function loadArtifact(pathOrKindDir: string): Promise<LoadedArtifact> {
  const dir = await resolveVersionDir(pathOrKindDir);
  const manifestPath = join(dir, MANIFEST_FILE);
  const manifest = parseManifest((await readRegularFile(manifestPath, { root: dir, maxBytes: MAX_MANIFEST_BYTES, what: 'artifact manifest' })).toString('utf8'), manifestPath);
  for (const [name, entry] of Object.entries(manifest.files)) {
    checkFileName(name);
    // Confined to the version folder and to regular files; an over-long file is refused before it is hashed.
    const actual = await sha256File(join(dir, name), { root: dir, maxBytes: entry.bytes, what: 'artifact file' }).catch((err: unknown) => {
      if (isMadenetError(err) && err.code !== 'E_NOT_FOUND') throw checksumError(join(dir, name), entry, err.message);
      return null;
    });
    if (actual === null) {
      throw new MadenetError('E_CHECKSUM', `Artifact file ${join(dir, name)} is missing; expected it as listed in ${manifestPath}.`, {
        suggestions: ['The artifact was changed after it was written; re-create it or load another version.'],
      });
    }
    verify(join(dir, name), entry, actual);
  }
  const readVerified = async (name: string): Promise<Buffer> => {
    const entry = manifest.files[name];
    if (!entry) {
      throw new MadenetError('E_ARTIFACT', `Artifact ${dir} has no file "${name}"; expected one of: ${Object.keys(manifest.files).join(', ')}.`);
    }
    const data = await readRegularFile(join(dir, name), { root: dir, maxBytes: entry.bytes, what: 'artifact file' }).catch((err: unknown) => {
      throw isMadenetError(err) ? checksumError(join(dir, name), entry, err.message) : err;
    });
    verify(join(dir, name), entry, { sha256: sha256(data), bytes: data.length });
    return data;
  };
  return {
    ref: { kind: manifest.kind, category: manifest.category, version: manifest.version, dir },
    manifest,
    dir,
    readFile: readVerified,
    modelArtifacts: async (name = 'model') => {
      const prefix = name === 'model' ? '' : `${checkSegment('model name', name)}/`;
      if (!manifest.models.includes(name)) {
        throw new MadenetError('E_ARTIFACT', `Artifact ${dir} has no model "${name}"; expected one of: ${manifest.models.join(', ') || '(none)'}.`);
      }
      const json = (await readVerified(`${prefix}${MODEL_JSON}`)).toString('utf8');
      return modelArtifactsFromFiles(json, (p) => readVerified(`${prefix}${p}`), join(dir, `${prefix}${MODEL_JSON}`));
    },
  };
}

function verify(path: string, expected: ArtifactFileEntry, actual: { sha256: string; bytes: number }): void {
  if (actual.sha256 !== expected.sha256 || actual.bytes !== expected.bytes) throw checksumError(path, expected, 'its content differs');
}

/** The file's own hash and size are never printed: the path may be a link to a file the user must not learn about. */
function checksumError(path: string, expected: ArtifactFileEntry, why: string): MadenetError {
  return new MadenetError('E_CHECKSUM', `Artifact file ${path} does not match its manifest (${why.replace(/\.$/, '')}); expected sha256 ${expected.sha256} (${expected.bytes} bytes).`, {
    suggestions: ['The file was changed or damaged after it was written; re-create the artifact or load another version.'],
  });
}

async function resolveVersionDir(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isFile() && basename(path) === MANIFEST_FILE) return dirname(path);
  if (info?.isDirectory()) {
    if (await exists(join(path, MANIFEST_FILE))) return path;
    const latest = await readRegularFile(join(path, LATEST_FILE), { root: path, maxBytes: 64, what: 'LATEST pointer' }).then(
      (b) => b.toString('utf8'),
      (err: unknown) => {
        if (isMadenetError(err) && err.code === 'E_NOT_FOUND') return null;
        throw err;
      },
    );
    if (latest !== null) {
      const name = latest.trim();
      if (!VERSION_DIR.test(name)) {
        throw new MadenetError('E_ARTIFACT', `${join(path, LATEST_FILE)} contains "${name}"; expected a version name like v0001.`);
      }
      if (!(await exists(join(path, name, MANIFEST_FILE)))) {
        throw new MadenetError('E_ARTIFACT', `${join(path, LATEST_FILE)} names ${name}, but ${join(path, name, MANIFEST_FILE)} does not exist.`);
      }
      return join(path, name);
    }
  }
  throw new MadenetError(
    'E_NOT_FOUND',
    `No artifact at ${path}; expected a vNNNN directory with ${MANIFEST_FILE}, or a <root>/<kind>/<category> directory with ${LATEST_FILE}.`,
  );
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
