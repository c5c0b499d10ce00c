import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import {
  DEMO_MASK_THRESHOLD,
  generateDemoDataset,
  readDemoDescription,
  renderDemoSample,
  type DemoDatasetOptions,
} from '../../../src/pipeline/demo-data/index.js';
import { demoPlan } from '../../../src/pipeline/demo-data/plan.js';

const SMALL: Omit<DemoDatasetOptions, 'out'> = {
  seed: 5,
  size: 32,
  categories: ['qfp', 'SOD'],
  perCategory: 3,
  testPerCategory: 2,
  defectsPerCategory: 3,
  testDefectsPerCategory: 6,
};

async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, r)));
    else out.push(r);
  }
  return out.sort();
}

async function decode(file: string): Promise<{ data: Buffer; channels: number; width: number; height: number }> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data, channels: info.channels, width: info.width, height: info.height };
}

describe('generateDemoDataset', () => {
  let tmp: string;
  beforeEach(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'madenet-demo-'));
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('writes the ManuDefect-21 layout with train and test defects, masks for both, and demo.json', async () => {
    const out = path.join(tmp, 'data');
    const summary = await generateDemoDataset({ ...SMALL, out });
    const files = await listFiles(out);
    // SOD spreads 3 train defects over its first three types and 6 test defects over all five.
    expect(files).toContain('SOD/train/good/train_000.png');
    expect(files).toContain('SOD/train/good/train_002.png');
    expect(files).not.toContain('SOD/train/good/train_003.png');
    expect(files).toContain('SOD/test/good/test_001.png');
    expect(files).toContain('SOD/train/missing_component/train_000.png');
    expect(files).toContain('SOD/ground_truth/missing_component/train_000_mask.png');
    expect(files).toContain('SOD/test/missing_component/test_001.png');
    expect(files).toContain('SOD/ground_truth/missing_component/test_001_mask.png');
    expect(files).toContain('QFP/test/solder_bridge/test_000.png');
    expect(files).toContain('QFP/ground_truth/solder_bridge/test_000_mask.png');
    const images = files.filter((f) => !f.includes('ground_truth') && f.endsWith('.png'));
    const masks = files.filter((f) => f.includes('/ground_truth/'));
    expect(images).toHaveLength(2 * (3 + 2 + 3 + 6));
    expect(masks).toHaveLength(2 * (3 + 6));
    expect(files.filter((f) => !f.endsWith('.png'))).toEqual(['demo.json']);
    // Every mask belongs to exactly one defect image with the same stem.
    for (const m of masks) {
      const [cat, , type, name] = m.split('/') as [string, string, string, string];
      const stem = name.replace(/_mask\.png$/, '');
      const split = stem.split('_')[0];
      expect(files).toContain(`${cat}/${split}/${type}/${stem}.png`);
    }
    const description = JSON.parse(await readFile(path.join(out, 'demo.json'), 'utf8'));
    expect(description).toMatchObject({ generator: 'madenet-demo', complete: true, seed: 5, size: 32, categories: ['QFP', 'SOD'], images: 28, masks: 18 });
    expect(description.counts.SOD.train).toEqual({ good: 3, missing_component: 1, rotation: 1, missing_polarity_mark: 1 });
    expect(description.counts.SOD.test).toEqual({ good: 2, missing_component: 2, rotation: 1, missing_polarity_mark: 1, excess_solder: 1, insufficient_solder: 1 });
    expect(summary).toMatchObject({ ...description, out });
  });

  it('saves 8-bit grey 0/255 masks that mark exactly where each defect image differs from its good twin', async () => {
    const out = path.join(tmp, 'data');
    await generateDemoDataset({ ...SMALL, out });
    const items = [...demoPlan(5, ['QFP', 'SOD'], { trainGood: 3, trainDefect: 3, testGood: 2, testDefect: 6 })];
    let checked = 0;
    for (const item of items) {
      const img = await decode(path.join(out, item.image));
      const expected = renderDemoSample(item.category, item.seed, 32, item.defect);
      expect(img.width).toBe(32);
      expect(Buffer.compare(img.data, Buffer.from(expected.rgb8))).toBe(0);
      if (!item.mask) continue;
      const meta = await sharp(path.join(out, item.mask)).metadata();
      expect(meta.channels).toBe(1);
      expect(meta.depth).toBe('uchar');
      const mask = await sharp(path.join(out, item.mask)).extractChannel(0).raw().toBuffer();
      const twin = renderDemoSample(item.category, item.seed, 32, null).rgb8;
      let area = 0;
      const wrong: string[] = [];
      for (let p = 0; p < 32 * 32; p++) {
        const v = mask[p] as number;
        let d = 0;
        for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs((img.data[p * 3 + c] as number) - (twin[p * 3 + c] as number)));
        if (v !== 0 && v !== 255) wrong.push(`pixel ${p}: mask value ${v}`);
        if ((v === 255) !== d > DEMO_MASK_THRESHOLD * 255) wrong.push(`pixel ${p}: mask ${v}, diff ${d}`);
        if (v === 255) area++;
      }
      expect({ mask: item.mask, wrong: wrong.slice(0, 5) }).toEqual({ mask: item.mask, wrong: [] });
      expect(area).toBeGreaterThan(0);
      checked++;
    }
    expect(checked).toBe(18);
  });

  it('is deterministic, and a subset of categories regenerates the same bytes', async () => {
    const a = path.join(tmp, 'a');
    const b = path.join(tmp, 'b');
    const c = path.join(tmp, 'c');
    await generateDemoDataset({ ...SMALL, out: a });
    await generateDemoDataset({ ...SMALL, out: b });
    await generateDemoDataset({ ...SMALL, categories: ['SOD'], out: c });
    const files = await listFiles(a);
    expect(await listFiles(b)).toEqual(files);
    for (const f of files) {
      expect(Buffer.compare(await readFile(path.join(a, f)), await readFile(path.join(b, f)))).toBe(0);
    }
    const sodFiles = await listFiles(path.join(c, 'SOD'));
    expect(sodFiles.length).toBeGreaterThan(0);
    for (const f of sodFiles) {
      expect(Buffer.compare(await readFile(path.join(a, 'SOD', f)), await readFile(path.join(c, 'SOD', f)))).toBe(0);
    }
    // A different seed gives different pictures.
    const d = path.join(tmp, 'd');
    await generateDemoDataset({ ...SMALL, categories: ['SOD'], seed: 6, out: d });
    expect(Buffer.compare(await readFile(path.join(c, 'SOD/train/good/train_000.png')), await readFile(path.join(d, 'SOD/train/good/train_000.png')))).not.toBe(0);
  });

  it('refuses a non-empty folder that is not demo output (E_EXISTS) unless forced', async () => {
    const out = path.join(tmp, 'mine');
    await mkdir(out);
    await writeFile(path.join(out, 'notes.txt'), 'keep me');
    await expect(generateDemoDataset({ ...SMALL, categories: ['SOD'], out })).rejects.toMatchObject({ code: 'E_EXISTS' });
    expect(await listFiles(out)).toEqual(['notes.txt']);
    await generateDemoDataset({ ...SMALL, categories: ['SOD'], out, force: true });
    const files = await listFiles(out);
    expect(files).toContain('notes.txt');
    expect(files).toContain('SOD/train/good/train_000.png');
    // A file in place of the folder is refused too.
    await expect(generateDemoDataset({ ...SMALL, out: path.join(out, 'notes.txt') })).rejects.toMatchObject({ code: 'E_EXISTS' });
  });

  it('regenerates over its own previous output, dropping categories that are no longer asked for', async () => {
    const out = path.join(tmp, 'data');
    await generateDemoDataset({ ...SMALL, out });
    expect((await stat(path.join(out, 'QFP'))).isDirectory()).toBe(true);
    await generateDemoDataset({ ...SMALL, categories: ['SOD'], out });
    const files = await listFiles(out);
    expect(files.some((f) => f.startsWith('QFP/'))).toBe(false);
    expect((await readDemoDescription(out))?.categories).toEqual(['SOD']);
  });

  it('rejects bad options with E_USAGE before writing anything', async () => {
    const out = path.join(tmp, 'never');
    await expect(generateDemoDataset({ out, size: 16 })).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(generateDemoDataset({ out, categories: ['QFP', 'TRANSFORMER'] })).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringContaining('TRANSFORMER'),
    });
    await expect(generateDemoDataset({ out, perCategory: 0 })).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(generateDemoDataset({ out, testDefectsPerCategory: -1 })).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
