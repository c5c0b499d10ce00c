// Writes a whole file so that readers see the old contents or the new, never a part: a temporary name beside it
// (unique per process and call), then a rename; the temporary is removed when writing fails.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writingTo } from '../core/system-errors.js';

/** Creates the parent directory, then writes `bytes` to `path` atomically (E_DISK_FULL and kin via writingTo). */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writingTo(path, () => writeFile(tmp, bytes));
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
