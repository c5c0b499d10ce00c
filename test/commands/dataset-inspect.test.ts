import { rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import DatasetInspect from '../../src/commands/dataset/inspect.js';
import { createProgress } from '../../src/pipeline/cli/progress.js';
import { makeTinyDataset } from '../helpers/tiny-dataset.js';
import { runCommand } from '../helpers/run-command.js';
import { useTempDir } from '../helpers/temp-dir.js';


async function inspect(
  argv: string[],
): Promise<{ stdout: string; stderr: string; error: (Error & { code?: string }) | undefined; exitCode: number | string | undefined }> {
  return runCommand(DatasetInspect, argv);
}

describe('madenet dataset inspect', () => {
  const tmp = useTempDir('madenet-inspect-', 'test');
  beforeEach(async () => {
    await makeTinyDataset(tmp.path, { categories: ['cap', 'res'], size: 16, normals: 2, testNormals: 1, defects: 2, defectTypes: ['crack'], trainDefects: 1 });
  });

  it('--json prints exactly one JSON document with counts per category/split/type and every problem', async () => {
    // Given one missing mask and one mask of the wrong size
    await unlink(join(tmp.path, 'res', 'ground_truth', 'crack', '001_mask.png'));
    await sharp(Buffer.alloc(12 * 12), { raw: { width: 12, height: 12, channels: 1 } }).png().toFile(join(tmp.path, 'cap', 'ground_truth', 'crack', '000_mask.png'));
    const { stdout, error } = await inspect([tmp.path, '--json']);
    expect(error).toBeUndefined();
    const doc = JSON.parse(stdout);
    expect(doc.totals).toEqual({ categories: 2, images: 12, normal: 6, anomalous: 6, masks: 5 });
    expect(doc.categories[0].counts).toEqual([
      { split: 'train', defectType: 'crack', label: 1, images: 1, masks: 1 },
      { split: 'train', defectType: 'good', label: 0, images: 2, masks: 0 },
      { split: 'test', defectType: 'crack', label: 1, images: 2, masks: 2 },
      { split: 'test', defectType: 'good', label: 0, images: 1, masks: 0 },
    ]);
    expect(doc.problems.map((p: { code: string; path: string }) => `${p.code}:${p.path.slice(tmp.path.length + 1)}`).sort()).toEqual([
      'E_MASK_MISSING:res/test/crack/001.png',
      'E_MASK_SIZE:cap/ground_truth/crack/000_mask.png',
    ]);
    // (a missing mask in a category that has others is a warning: pixel metrics leave that image out)
    expect(doc.summary).toEqual({ errors: 1, warnings: 1, skippedImages: 0 });
    expect(doc.categories.map((c: { name: string; annotation: string }) => `${c.name}:${c.annotation}`)).toEqual(['cap:pixel', 'res:mixed']);
    expect(doc.imageLevelCategories).toEqual([]);
    expect(doc.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('prints a human table and "No problems found." for a clean dataset, with nothing else on stdout', async () => {
    const { stdout, stderr, error } = await inspect([tmp.path, '--category', 'res']);
    expect(error).toBeUndefined();
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Dataset .* \(mvtec layout\): 1 category, 6 images \(3 normal, 3 anomalous, 3 masks\)$/);
    expect(lines.slice(3, 8)).toEqual([
      'category  split  type   images  masks',
      'res       train  crack       1      1',
      'res       train  good        2      0',
      'res       test   crack       2      2',
      'res       test   good        1      0',
    ]);
    expect(lines[lines.length - 1]).toBe('No problems found.');
    expect(stderr).toBe(''); // stderr is not a TTY here, so no progress bar
  });

  it('names image-level categories (defects without any mask) in JSON and text, with no problem for them', async () => {
    // Given cap with its whole ground_truth/ removed (good/defective labels only),
    await rm(join(tmp.path, 'cap', 'ground_truth'), { recursive: true });
    const { stdout, error } = await inspect([tmp.path, '--json']);
    expect(error).toBeUndefined();
    const doc = JSON.parse(stdout);
    expect(doc.imageLevelCategories).toEqual(['cap']);
    expect(doc.categories.map((c: { name: string; annotation: string }) => `${c.name}:${c.annotation}`)).toEqual(['cap:image', 'res:pixel']);
    expect(doc.problems).toEqual([]);
    const text = await inspect([tmp.path]);
    expect(text.stdout).toContain('Image-level (labels, no masks; image metrics only): cap');
    expect(text.stdout.trimEnd().split('\n').pop()).toBe('No problems found.');
  });

  it('fails with E_DECODE naming every unreadable image, as one JSON error document under --json', async () => {
    await writeFile(join(tmp.path, 'cap', 'train', 'good', '001.png'), 'plain text, not a PNG');
    await writeFile(join(tmp.path, 'res', 'test', 'good', '000.png'), '');
    const { stdout, exitCode } = await inspect([tmp.path, '--json']);
    // Under --json oclif reports the error as the JSON document and sets the exit status instead of throwing.
    expect(exitCode).toBe(1);
    const doc = JSON.parse(stdout);
    expect(doc.error.code).toBe('E_DECODE');
    expect(doc.error.message).toContain('2 images could not be read');
    expect(doc.error.message).toContain(join(tmp.path, 'cap', 'train', 'good', '001.png'));
    expect(doc.error.message).toContain('empty (0 bytes)');
    expect(doc.error.suggestions.join(' ')).toContain('--skip-bad-images');
  });

  it('--skip-bad-images turns unreadable and too-small images (and masks) into counted warnings', async () => {
    await writeFile(join(tmp.path, 'cap', 'train', 'good', '001.png'), 'plain text, not a PNG');
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } }).png().toFile(join(tmp.path, 'res', 'test', 'good', '000.png'));
    await writeFile(join(tmp.path, 'cap', 'ground_truth', 'crack', '001_mask.png'), 'not a mask either');
    const { stdout, error, exitCode } = await inspect([tmp.path, '--json', '--skip-bad-images']);
    expect(error).toBeUndefined();
    expect(exitCode).toBeUndefined();
    const doc = JSON.parse(stdout);
    expect(doc.summary).toEqual({ errors: 0, warnings: 3, skippedImages: 3 });
    expect(doc.problems.map((p: { code: string }) => p.code).sort()).toEqual(['E_DECODE', 'E_DECODE', 'E_IMAGE_TOO_SMALL']);
    expect(doc.problems.every((p: { message: string }) => p.message.endsWith('(skipped: --skip-bad-images)'))).toBe(true);
  });

  it('without --json prints the report, then fails with E_DECODE', async () => {
    await writeFile(join(tmp.path, 'cap', 'train', 'good', '001.png'), 'plain text, not a PNG');
    const { stdout, error } = await inspect([tmp.path]);
    expect(error?.code).toBe('E_DECODE');
    expect(error?.message).toContain(join(tmp.path, 'cap', 'train', 'good', '001.png'));
    expect(stdout).toContain('Problems: 1 error, 0 warnings');
  });

  it('requires DIR', async () => {
    const { error } = await inspect([]);
    expect(error?.message).toMatch(/Missing 1 required arg/);
    expect(error?.message).toMatch(/dir/);
  });
});

describe('createProgress', () => {
  function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
    let text = '';
    const w = new Writable({
      write(chunk, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    }) as unknown as NodeJS.WriteStream & { isTTY: boolean; columns: number; cursorTo: () => boolean; clearLine: () => boolean; moveCursor: () => boolean };
    w.isTTY = isTTY;
    w.columns = 100;
    w.cursorTo = () => true;
    w.clearLine = () => true;
    w.moveCursor = () => true;
    return { stream: w, text: () => text };
  }

  it('draws on a TTY stream only, and never when --json is on', () => {
    const tty = fakeStream(true);
    const bar = createProgress({ label: 'Decoding', total: 4, json: false, stream: tty.stream });
    bar.update(2);
    bar.increment();
    bar.stop();
    expect(bar.active).toBe(true);
    expect(tty.text()).toContain('Decoding');
    expect(tty.text()).toContain('3/4');

    for (const [isTTY, json] of [[false, false], [true, true]] as const) {
      const s = fakeStream(isTTY);
      const p = createProgress({ label: 'Decoding', total: 4, json, stream: s.stream });
      p.update(4);
      p.stop();
      expect(p.active).toBe(false);
      expect(s.text()).toBe('');
    }
  });
});
