import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import Synth from '../../src/commands/synth.js';
import { decodeImage, decodeMask, encodePng, writePng } from '../../src/pipeline/io/decode.js';
import { createMask } from '../../src/pipeline/io/image.js';
import { synthesizeAnomalyFromSeed } from '../../src/pipeline/synth/anomaly.js';
import { foregroundMask } from '../../src/pipeline/synth/foreground.js';
import { TextureBank } from '../../src/pipeline/synth/texture-bank.js';
import { makeTinyDataset } from '../helpers/tiny-dataset.js';
import { runCommand } from '../helpers/run-command.js';
import { useTempDir } from '../helpers/temp-dir.js';


async function synth(
  argv: string[],
): Promise<{ stdout: string; stderr: string; error: (Error & { code?: string }) | undefined; exitCode: number | string | undefined }> {
  return runCommand(Synth, argv);
}

function ones(d: Float32Array): number {
  let s = 0;
  for (const v of d) if (v > 0.5) s++;
  return s;
}

describe('madenet synth', () => {
  const tmp = useTempDir('madenet-synth-');
  let data: string;
  beforeAll(async () => {
    data = join(tmp.path, 'data');
    await makeTinyDataset(data, { categories: ['widget'], size: 32, normals: 3, testNormals: 1, defects: 1 });
  });

  it('--json writes images, masks, synth.jsonl and a contact sheet; masks are non-empty and on the object', async () => {
    const out = join(tmp.path, 'mixed');
    const { stdout, error } = await synth(['--data', data, '--category', 'widget', '--out', out, '--count', '5', '--image-size', '32', '--seed', '3', '--json']);
    expect(error).toBeUndefined();
    const doc = JSON.parse(stdout);
    expect(doc).toMatchObject({ category: 'widget', kind: 'mixed', count: 5, imageSize: 32, sourceImages: 3, seed: 3, variant: null, cutpaste: null });
    expect(doc.textures).toMatchObject({ source: 'procedural:3', count: 27 });
    expect(Object.values(doc.made as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(5);
    expect((await readdir(join(out, 'images'))).sort()).toEqual(['000000.png', '000001.png', '000002.png', '000003.png', '000004.png']);
    const lines = (await readFile(join(out, 'synth.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.index)).toEqual([0, 1, 2, 3, 4]);
    expect(lines.map((l) => l.source)).toEqual([
      'widget/train/good/000.png',
      'widget/train/good/001.png',
      'widget/train/good/002.png',
      'widget/train/good/000.png',
      'widget/train/good/001.png',
    ]);
    for (const l of lines) {
      const mask = await decodeMask(join(out, l.mask));
      const fg = foregroundMask(await decodeImage(join(data, l.source), { size: 32 }));
      expect(ones(mask.data)).toBeGreaterThan(0);
      let outside = 0;
      for (let i = 0; i < mask.data.length; i++) if (mask.data[i]! > 0.5 && fg.data[i]! <= 0.5) outside++;
      expect(outside).toBe(0);
      expect(l.foreground).toEqual({ mode: 'auto', method: 'colour-distance' });
    }
    // Two samples across, five rows of 32 px with 4 px gaps.
    const sheet = await sharp(join(out, 'contact-sheet.png')).metadata();
    expect([sheet.width, sheet.height]).toEqual([2 * (3 * 32 + 8) + 12, 3 * 32 + 2 * 4]);
  });

  it('records enough to regenerate a sample byte for byte, and repeats itself for the same seed', async () => {
    const a = join(tmp.path, 'again-a');
    const b = join(tmp.path, 'again-b');
    const args = ['--data', data, '--category', 'widget', '--count', '3', '--image-size', '32', '--seed', '9', '--kind', 'texture', '--json'];
    expect((await synth([...args, '--out', a])).error).toBeUndefined();
    expect((await synth([...args, '--out', b])).error).toBeUndefined();
    for (const f of ['synth.jsonl', 'contact-sheet.png', 'images/000002.png', 'masks/000002.png']) {
      expect((await readFile(join(a, f))).equals(await readFile(join(b, f)))).toBe(true);
    }
    const record = JSON.parse((await readFile(join(a, 'synth.jsonl'), 'utf8')).trim().split('\n')[1]!);
    const source = await decodeImage(join(data, record.source), { size: record.imageSize });
    const again = synthesizeAnomalyFromSeed(source, record.seed, {
      kind: record.kind,
      textures: TextureBank.procedural(record.imageSize, 9),
      foreground: foregroundMask(source),
      normalProbability: record.normalProbability,
    });
    expect(again.params).toEqual(record.params);
    expect((await encodePng(again.image)).equals(await readFile(join(a, record.image)))).toBe(true);
    expect((await encodePng(again.mask)).equals(await readFile(join(a, record.mask)))).toBe(true);
    const other = join(tmp.path, 'again-c');
    expect((await synth([...args.map((x) => (x === '9' ? '10' : x)), '--out', other])).error).toBeUndefined();
    expect((await readFile(join(a, 'images/000000.png'))).equals(await readFile(join(other, 'images/000000.png')))).toBe(false);
  });

  it('cutpaste pastes 5-20% of the image and reports the gate rejection rate', async () => {
    const out = join(tmp.path, 'cp');
    const { stdout, error } = await synth(['--data', data, '--category', 'widget', '--out', out, '--count', '6', '--image-size', '32', '--kind', 'cutpaste', '--json']);
    expect(error).toBeUndefined();
    const doc = JSON.parse(stdout);
    expect(doc.variant).toBe('normal');
    expect(doc.foreground).toBeNull();
    expect(doc.cutpaste.draws).toBe(6 + doc.cutpaste.rejections);
    expect(doc.cutpaste.rejectionRate).toBeCloseTo(doc.cutpaste.rejections / doc.cutpaste.draws, 10);
    for (let i = 0; i < 6; i++) {
      const mask = await decodeMask(join(out, 'masks', `00000${i}.png`));
      const f = ones(mask.data) / (32 * 32);
      expect(f).toBeGreaterThanOrEqual(0.05);
      expect(f).toBeLessThanOrEqual(0.2);
    }
  });

  it('uses precomputed foreground masks from a folder, and names the mask it could not find', async () => {
    const masks = join(tmp.path, 'fg-masks');
    await mkdir(masks, { recursive: true });
    const m = createMask(32, 32);
    for (let y = 4; y < 12; y++) for (let x = 20; x < 28; x++) m.data[y * 32 + x] = 1;
    await writePng(join(masks, '000.png'), m);
    await writePng(join(masks, '001_mask.png'), m);
    const out = join(tmp.path, 'fg-dir');
    const ok = await synth(['--data', data, '--category', 'widget', '--out', out, '--count', '2', '--image-size', '32', '--kind', 'structural', '--foreground', masks, '--json']);
    expect(ok.error).toBeUndefined();
    for (const name of ['000000.png', '000001.png']) {
      const mask = await decodeMask(join(out, 'masks', name));
      let outside = 0;
      for (let i = 0; i < mask.data.length; i++) if (mask.data[i]! > 0.5 && m.data[i]! <= 0.5) outside++;
      expect(ones(mask.data)).toBeGreaterThan(0);
      expect(outside).toBe(0);
    }
    const missing = await synth(['--data', data, '--category', 'widget', '--out', join(tmp.path, 'fg-missing'), '--count', '3', '--image-size', '32', '--kind', 'structural', '--foreground', masks, '--json']);
    const doc = JSON.parse(missing.stdout);
    expect(doc.error.code).toBe('E_MASK_MISSING');
    expect(doc.error.message).toContain(join(masks, '002.png'));
    expect(missing.exitCode).toBe(1);
    // A failed run leaves no synth.jsonl, so it can simply be run again.
    expect((await readdir(join(tmp.path, 'fg-missing'))).filter((f) => f.startsWith('synth.jsonl'))).toEqual([]);
  });

  it('refuses to overwrite a previous run without --force and rejects an unknown category', async () => {
    const out = join(tmp.path, 'twice');
    const args = ['--data', data, '--category', 'widget', '--out', out, '--count', '1', '--image-size', '32', '--kind', 'structural', '--json'];
    expect((await synth(args)).exitCode).toBeUndefined();
    const again = await synth(args);
    expect(JSON.parse(again.stdout).error.code).toBe('E_EXISTS');
    expect(again.exitCode).toBe(1);
    expect((await synth([...args, '--force'])).exitCode).toBeUndefined();
    // Without --json the error is thrown with its stable code.
    const unknown = await synth(['--data', data, '--category', 'nope', '--out', join(tmp.path, 'x')]);
    expect(unknown.error).toMatchObject({ code: 'E_DATASET' });
    expect(unknown.error?.message).toContain('widget');
  });

  it('prints a short human summary without --json', async () => {
    const { stdout, error } = await synth(['--data', data, '--category', 'widget', '--out', join(tmp.path, 'human'), '--count', '2', '--image-size', '32', '--kind', 'cutpaste']);
    expect(error).toBeUndefined();
    expect(stdout).toMatch(/^Made 2 samples \(2 cutpaste\) from 2 images of widget at 32 px\./);
    expect(stdout).toMatch(/Perceptibility gate rejected \d+ of \d+ draws/);
    expect(stdout).toContain('contact-sheet.png');
  });
});
