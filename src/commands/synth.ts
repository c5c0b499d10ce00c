import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { MadenetError } from '../pipeline/core/errors.js';
import { imageSizeFlag, seedFlag } from '../pipeline/cli/flags.js';
import { createProgress } from '../pipeline/cli/progress.js';
import { synth, type SynthKind, type SynthResult } from '../pipeline/services/synth.js';
import { type CutPasteVariant } from '../pipeline/synth/cutpaste.js';

export default class Synth extends BaseCommand {
  static override summary = 'Generate synthetic anomalies (texture, structural, CutPaste) with masks and a contact sheet.';
  static override description =
    'Streams the normal training images of one category through the synthesis used by training: Perlin-mask ' +
    'texture (DRAEM) or structural (MSTUnet) anomalies kept on the object by a foreground mask, or CutPaste ' +
    '(normal or scar) behind a perceptibility gate. Writes images/, masks/, synth.jsonl (each sample\'s seed ' +
    'and parameters, enough to regenerate it) and contact-sheet.png (image | mask | overlay).';
  static override examples = [
    '<%= config.bin %> synth --data ./madenet-demo/data --category BGA --out ./synth --count 16',
    '<%= config.bin %> synth --data ./mvtec --category transistor --out ./synth-tex --kind texture --textures ./dtd/images',
    '<%= config.bin %> synth --data ./mvtec --category transistor --out ./synth-cp --kind cutpaste --variant scar --json',
  ];
  static override flags = {
    ...seedFlag,
    ...imageSizeFlag,
    data: Flags.string({ char: 'd', description: 'Dataset root (MVTec layout), a category folder, or a manifest.', required: true }),
    category: Flags.string({ description: 'Category whose normal training images are used.', required: true }),
    out: Flags.string({ char: 'o', description: 'Output directory.', required: true }),
    count: Flags.integer({ description: 'Number of samples (source images are reused in turn).', default: 16, min: 1 }),
    kind: Flags.string({ description: 'Kind of anomaly.', options: ['texture', 'structural', 'mixed', 'cutpaste'], default: 'mixed' }),
    variant: Flags.string({ description: 'CutPaste variant (with --kind cutpaste).', options: ['normal', 'scar'], default: 'normal' }),
    foreground: Flags.string({
      description: 'Where defects may go: auto (find the object), none (anywhere), or a folder of precomputed masks.',
      default: 'auto',
    }),
    textures: Flags.string({ description: 'Folder of texture images (e.g. DTD) [default: the built-in procedural set].' }),
    'normal-probability': Flags.string({ description: 'Chance that a sample is left normal (texture/structural/mixed).', default: '0' }),
    sheet: Flags.integer({ description: 'Samples shown on the contact sheet.', default: 16, min: 1 }),
    concurrency: Flags.integer({ description: 'Samples processed at once.', default: 4, min: 1 }),
    force: Flags.boolean({ description: 'Overwrite a previous synth run in --out.', default: false }),
  };

  async run(): Promise<SynthResult> {
    const { flags } = await this.parse(Synth);
    const normalProbability = Number(flags['normal-probability']);
    if (!Number.isFinite(normalProbability)) {
      throw new MadenetError('E_USAGE', `--normal-probability is ${flags['normal-probability']}; expected a number in [0, 1].`);
    }
    const progress = createProgress({ label: 'synth', total: flags.count, json: this.jsonEnabled() });
    const result = await synth({
      data: flags.data,
      category: flags.category,
      out: flags.out,
      count: flags.count,
      kind: flags.kind as SynthKind,
      variant: flags.variant as CutPasteVariant,
      seed: flags.seed,
      imageSize: flags['image-size'] ?? 128,
      foreground: flags.foreground,
      textures: flags.textures,
      normalProbability,
      sheet: flags.sheet,
      concurrency: flags.concurrency,
      force: flags.force,
      onProgress: (done) => progress.update(done),
    }).finally(() => progress.stop());
    const made = Object.entries(result.made).map(([k, v]) => `${v} ${k}`).join(', ');
    this.say(`Made ${result.count} samples (${made}) from ${result.sourceImages} images of ${result.category} at ${result.imageSize} px.`);
    this.say(`Mean defect area ${(100 * result.meanMaskFraction).toFixed(1)}% of the image; ${result.msPerSample.toFixed(1)} ms per sample to synthesise.`);
    if (result.foreground) {
      const m = Object.entries(result.foreground.methods).map(([k, v]) => `${k} ${v}`).join(', ');
      this.say(`Foreground: ${result.foreground.mode} (${m}).`);
    }
    if (result.textures) this.say(`Textures: ${result.textures.count} from ${result.textures.source}.`);
    if (result.textures && result.textures.skipped.length > 0) this.note(`warning: ${result.textures.skipped.length} texture files could not be decoded and were skipped.`);
    if (result.cutpaste) {
      const c = result.cutpaste;
      this.say(`Perceptibility gate rejected ${c.rejections} of ${c.draws} draws (${(100 * c.rejectionRate).toFixed(1)}%); ${c.gaveUp} samples kept their least similar draw.`);
    }
    this.say(`Wrote ${result.files.jsonl} and ${result.files.contactSheet}`);
    return result;
  }
}
