// Finds and opens the parity-checked ONNX file of an artifact version: the version itself when it holds one,
// or a sibling `madenet export` made from exactly this version (same manifest sha256). Checksums are verified.
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { loadArtifact, MANIFEST_FILE, type LoadedArtifact } from '../artifacts/index.js';
import { sha256 } from '../artifacts/files.js';
import { parseManifest } from '../artifacts/manifest.js';
import { MadenetError } from '../core/errors.js';
import { readOnnxRecord, type OnnxRecord } from '../export/onnx-record.js';

export interface OnnxArtifact {
  artifact: LoadedArtifact;
  record: OnnxRecord;
  /** The .onnx bytes, checked against the manifest and the record. */
  bytes: Uint8Array;
}

const VERSION_DIR = /^v\d{4,}$/;

async function manifestOf(dir: string): Promise<{ text: string; sha: string } | null> {
  const data = await readFile(join(dir, MANIFEST_FILE)).catch(() => null);
  return data === null ? null : { text: data.toString('utf8'), sha: sha256(data) };
}

/**
 * The version directory holding a parity-checked ONNX export of `versionDir`'s exact contents, or null.
 * Looks at the version itself, then at its siblings (newest first) whose record names it as the source.
 */
export async function findOnnxExport(versionDir: string): Promise<string | null> {
  const dir = resolve(versionDir);
  const own = await manifestOf(dir);
  if (own === null) return null;
  const manifest = parseManifest(own.text, join(dir, MANIFEST_FILE));
  const record = readOnnxRecord(manifest.metrics, dir);
  if (record?.parity.passed) return dir;
  const siblings = (await readdir(dirname(dir)).catch(() => [] as string[])).filter((n) => VERSION_DIR.test(n) && n !== basename(dir)).sort().reverse();
  for (const name of siblings) {
    const other = join(dirname(dir), name);
    const m = await manifestOf(other);
    if (m === null) continue;
    const rec = readOnnxRecord(parseManifest(m.text, join(other, MANIFEST_FILE)).metrics, other);
    if (rec?.parity.passed && rec.exportedFrom.manifestSha256 === own.sha) return other;
  }
  return null;
}

/** Loads a version with an ONNX export (every checksum verified) and returns the file's bytes. */
export async function loadOnnxArtifact(dir: string): Promise<OnnxArtifact> {
  const artifact = await loadArtifact(dir);
  const record = readOnnxRecord(artifact.manifest.metrics, artifact.dir);
  if (record === null) {
    throw new MadenetError('E_ENGINE', `Artifact ${artifact.dir} has no ONNX export; expected one written by \`madenet export\`.`, {
      suggestions: [`Run \`madenet export --model ${artifact.dir}\`, or use --engine tfjs.`],
    });
  }
  if (!record.parity.passed) {
    throw new MadenetError('E_PARITY', `The ONNX file of ${artifact.dir} did not pass its parity check; it is not used.`);
  }
  const data = await artifact.readFile(record.file);
  const actual = sha256(data);
  if (actual !== record.sha256) {
    throw new MadenetError('E_CHECKSUM', `ONNX file ${join(artifact.dir, record.file)} has sha256 ${actual}; its export record says ${record.sha256}.`, {
      suggestions: ['The file was changed after export; re-run `madenet export`.'],
    });
  }
  return { artifact, record, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
