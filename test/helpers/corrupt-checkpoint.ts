// Test helper: overwrites one weights file of the newest training checkpoint with NaNs and updates its sha256
// in the manifest, so that a resume loads it (the store verifies checksums) and the next step diverges.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadLatestCheckpoint } from '../../src/pipeline/artifacts/index.js';

export async function corruptCheckpointWeights(root: string, kind: string, category: string, file: string): Promise<number> {
  const ckpt = await loadLatestCheckpoint(root, kind, category);
  if (!ckpt) throw new Error(`no checkpoint under ${root} for ${kind}/${category}`);
  const path = join(ckpt.dir, file);
  const bytes = Buffer.from(new Float32Array((await readFile(path)).length / 4).fill(Number.NaN).buffer);
  await writeFile(path, bytes);
  const manifestPath = join(ckpt.dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { files: Record<string, { sha256: string; bytes: number }> };
  manifest.files[file] = { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  await writeFile(manifestPath, JSON.stringify(manifest));
  return ckpt.manifest.checkpoint?.step ?? 0;
}
