// `madenet synth`: streams a category's normal training images through the synthesis library and writes
// images/, masks/, synth.jsonl (per-sample seed and parameters) and a contact sheet. No flags, no printing.
import { createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { MadenetError } from '../core/errors.js';
import { boundedMap } from '../io/bounded-map.js';
import { loadDataset, samplesOf, type Sample } from '../io/dataset.js';
import { decodeImage, writePng } from '../io/decode.js';
import { type Mask, type RgbImage } from '../io/image.js';
import { hashSeed } from '../core/random.js';
import { synthesizeAnomalyFromSeed, type SynthParams } from '../synth/anomaly.js';
import { contactSheet } from '../synth/contact-sheet.js';
import { cutPasteFromSeed, type CutPasteParams, type CutPasteVariant } from '../synth/cutpaste.js';
import { foregroundSource, type ForegroundMode } from '../synth/foreground-source.js';
import { TextureBank } from '../synth/texture-bank.js';

export type SynthKind = 'texture' | 'structural' | 'mixed' | 'cutpaste';

export interface SynthOptions {
  data: string;
  category: string;
  out: string;
  count: number;
  kind: SynthKind;
  seed: number;
  /** Square working size in pixels (default 128). */
  imageSize?: number;
  /** 'auto' | 'none' | a folder of precomputed masks (default 'auto'); not used by cutpaste. */
  foreground?: string;
  /** Folder of texture images; default the built-in procedural set. */
  textures?: string;
  /** Chance that a texture/structural/mixed sample is left normal (default 0). */
  normalProbability?: number;
  /** CutPaste variant (default 'normal'). */
  variant?: CutPasteVariant;
  /** Samples shown on the contact sheet (default min(count, 16)). */
  sheet?: number;
  /** Samples processed at once (default 4). */
  concurrency?: number;
  /** Overwrite an existing synth.jsonl in `out`. */
  force?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** One line of synth.jsonl: everything needed to regenerate the sample (with the same source and textures). */
export interface SynthRecord {
  index: number;
  image: string;
  mask: string;
  /** Source image, relative to the dataset root given on the command line. */
  source: string;
  category: string;
  imageSize: number;
  /** Per-sample seed: synthesizeAnomalyFromSeed / cutPasteFromSeed with it reproduce this sample. */
  seed: number;
  kind: SynthKind;
  foreground: { mode: ForegroundMode; method: string };
  textures: string | null;
  normalProbability: number;
  params: SynthParams | CutPasteParams;
  rejections?: number;
}

export interface SynthResult {
  out: string;
  category: string;
  kind: SynthKind;
  variant: CutPasteVariant | null;
  seed: number;
  count: number;
  imageSize: number;
  sourceImages: number;
  files: { jsonl: string; contactSheet: string; images: string; masks: string };
  textures: { source: string; count: number; skipped: string[] } | null;
  foreground: { mode: ForegroundMode; methods: Record<string, number> } | null;
  /** Samples by what was made: texture, structural, normal, cutpaste. */
  made: Record<string, number>;
  meanMaskFraction: number;
  cutpaste: { draws: number; rejections: number; rejectionRate: number; gaveUp: number } | null;
  /** Mean synthesis time per sample (decode and PNG writing excluded). */
  msPerSample: number;
  elapsedMs: number;
}

interface Made {
  record: SynthRecord;
  image: RgbImage;
  mask: Mask;
  synthMs: number;
}

export async function synth(opts: SynthOptions): Promise<SynthResult> {
  const started = performance.now();
  const { size, count, normalProbability, out, jsonlPath } = await checkedOptions(opts);
  const sources = await normalSources(opts);
  const isCutPaste = opts.kind === 'cutpaste';
  const needsTextures = opts.kind === 'texture' || opts.kind === 'mixed';
  const bank = needsTextures ? await TextureBank.forRun(opts.textures, size, opts.seed) : null;
  const fg = isCutPaste ? null : foregroundSource(opts.foreground ?? 'auto');
  const variant = opts.variant ?? 'normal';

  await mkdir(join(out, 'images'), { recursive: true });
  await mkdir(join(out, 'masks'), { recursive: true });
  const ctx: SampleContext = { opts, sources, size, normalProbability, out, bank, fg, variant };
  const tally = new SynthTally(isCutPaste, Math.min(count, opts.sheet ?? 16));
  await writeRecords(jsonlPath, boundedMap(indices(count), (index) => makeSample(ctx, index), { concurrency: Math.max(1, opts.concurrency ?? 4) }), (m) => {
    tally.add(m);
    opts.onProgress?.(m.record.index + 1, count);
  });
  const sheetPath = join(out, 'contact-sheet.png');
  await writePng(sheetPath, contactSheet(tally.sheet, { columns: 2 }));

  const rejections = tally.rejections;
  return {
    out,
    category: opts.category,
    kind: opts.kind,
    variant: isCutPaste ? variant : null,
    seed: opts.seed,
    count,
    imageSize: size,
    sourceImages: Math.min(count, sources.length),
    files: { jsonl: jsonlPath, contactSheet: sheetPath, images: join(out, 'images'), masks: join(out, 'masks') },
    textures: bank ? { source: bank.source, count: bank.count, skipped: [...bank.skipped] } : null,
    foreground: fg ? { mode: fg.mode, methods: tally.methods } : null,
    made: tally.made,
    meanMaskFraction: tally.maskFractionSum / count,
    cutpaste: isCutPaste ? { draws: count + rejections, rejections, rejectionRate: rejections / (count + rejections), gaveUp: tally.gaveUp } : null,
    msPerSample: tally.synthMs / count,
    elapsedMs: performance.now() - started,
  };
}

async function checkedOptions(opts: SynthOptions): Promise<{ size: number; count: number; normalProbability: number; out: string; jsonlPath: string }> {
  const size = opts.imageSize ?? 128;
  const count = opts.count;
  if (!Number.isInteger(count) || count < 1) throw new MadenetError('E_USAGE', `--count is ${count}; expected a whole number >= 1.`);
  const normalProbability = opts.normalProbability ?? 0;
  if (!(normalProbability >= 0 && normalProbability <= 1)) {
    throw new MadenetError('E_USAGE', `--normal-probability is ${normalProbability}; expected a number in [0, 1].`);
  }
  const out = resolve(opts.out);
  const jsonlPath = join(out, 'synth.jsonl');
  if (!opts.force && (await access(jsonlPath).then(() => true, () => false))) {
    throw new MadenetError('E_EXISTS', `${jsonlPath} already exists; expected an output folder without a previous synth run.`, {
      suggestions: ['Choose another --out, or pass --force to overwrite.'],
    });
  }
  return { size, count, normalProbability, out, jsonlPath };
}

async function normalSources(opts: SynthOptions): Promise<Sample[]> {
  const dataset = await loadDataset(opts.data, { categories: [opts.category] });
  const sources = samplesOf(dataset, { category: opts.category, split: 'train', label: 0 });
  if (sources.length === 0) {
    throw new MadenetError('E_NO_IMAGES', `Category ${opts.category} in ${opts.data} has no normal training images; expected <category>/train/good/*.png.`);
  }
  return sources;
}

/** What every sample of one run shares. */
interface SampleContext {
  opts: SynthOptions;
  sources: Sample[];
  size: number;
  normalProbability: number;
  out: string;
  bank: TextureBank | null;
  fg: ReturnType<typeof foregroundSource> | null;
  variant: CutPasteVariant;
}

/** Makes sample `index` from its own seed (so any one can be regenerated alone) and writes its image and mask. */
async function makeSample(ctx: SampleContext, index: number): Promise<Made> {
  const { opts, size, bank, fg } = ctx;
  const sample = ctx.sources[index % ctx.sources.length] as Sample;
  const image = await decodeImage(sample.path, { size });
  const seed = hashSeed(`synth:${index}`, opts.seed);
  const name = `${String(index).padStart(6, '0')}.png`;
  const base = {
    index,
    image: `images/${name}`,
    mask: `masks/${name}`,
    source: relative(resolve(opts.data), sample.path).split('\\').join('/'),
    category: opts.category,
    imageSize: size,
    seed,
    kind: opts.kind,
    textures: bank?.source ?? null,
    normalProbability: fg === null ? 0 : ctx.normalProbability,
  };
  let record: SynthRecord;
  let result: { image: RgbImage; mask: Mask };
  let took: number;
  if (fg === null) {
    const t = performance.now();
    const r = cutPasteFromSeed(image, seed, { variant: ctx.variant });
    took = performance.now() - t;
    result = r;
    record = { ...base, foreground: { mode: 'none', method: 'none' }, params: r.params, rejections: r.rejections };
  } else {
    const f = await fg.maskFor(image, sample.path, categoryRoot(sample));
    const t = performance.now();
    const r = synthesizeAnomalyFromSeed(image, seed, {
      kind: opts.kind as 'texture' | 'structural' | 'mixed',
      textures: bank,
      foreground: f.mask,
      normalProbability: ctx.normalProbability,
    });
    took = performance.now() - t;
    result = r;
    record = { ...base, foreground: { mode: fg.mode, method: f.method }, params: r.params };
  }
  await writePng(join(ctx.out, record.image), result.image);
  await writePng(join(ctx.out, record.mask), result.mask);
  return { record, image: result.image, mask: result.mask, synthMs: took };
}

/** Writes one synth.jsonl line per sample, in order. */
async function writeRecords(jsonlPath: string, samples: AsyncIterable<Made>, onSample: (m: Made) => void): Promise<void> {
  // Written under a temporary name and renamed at the end, so a failed run leaves no synth.jsonl behind.
  const partialPath = `${jsonlPath}.partial`;
  const jsonl = createWriteStream(partialPath, { flags: 'w' });
  let complete = false;
  try {
    for await (const m of samples) {
      if (!jsonl.write(`${JSON.stringify(m.record)}\n`)) await new Promise<void>((r) => jsonl.once('drain', () => r()));
      onSample(m);
    }
    complete = true;
  } finally {
    await new Promise<void>((res, rej) => jsonl.end((err?: Error | null) => (err ? rej(err) : res())));
    if (!complete) await rm(partialPath, { force: true });
  }
  await rename(partialPath, jsonlPath);
}

/** The run's totals for the result, and the first samples for the contact sheet. */
class SynthTally {
  readonly made: Record<string, number> = {};
  readonly methods: Record<string, number> = {};
  readonly sheet: { image: RgbImage; mask: Mask }[] = [];
  maskFractionSum = 0;
  synthMs = 0;
  rejections = 0;
  gaveUp = 0;

  constructor(
    private readonly isCutPaste: boolean,
    private readonly sheetCount: number,
  ) {}

  add(m: Made): void {
    const p = m.record.params;
    const what = this.isCutPaste ? 'cutpaste' : (p as SynthParams).kind;
    this.made[what] = (this.made[what] ?? 0) + 1;
    this.methods[m.record.foreground.method] = (this.methods[m.record.foreground.method] ?? 0) + 1;
    this.maskFractionSum += this.isCutPaste ? (p as CutPasteParams).areaFraction : (p as SynthParams).maskFraction;
    this.synthMs += m.synthMs;
    if (this.isCutPaste) {
      this.rejections += m.record.rejections ?? 0;
      if (!(p as CutPasteParams).accepted) this.gaveUp++;
    }
    if (this.sheet.length < this.sheetCount) this.sheet.push({ image: m.image, mask: m.mask });
  }
}

function* indices(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

/** The category's folder (the nearest ancestor named like the category), for matching precomputed masks. */
function categoryRoot(sample: Sample): string {
  let dir = dirname(sample.path);
  while (dirname(dir) !== dir) {
    if (basename(dir) === sample.category) return dir;
    dir = dirname(dir);
  }
  return dirname(dirname(dirname(sample.path)));
}
