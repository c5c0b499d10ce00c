// Reads one category in the MVTec AD layout (<cat>/train/good, <cat>/test/<type>,
// <cat>/ground_truth/<type>/<stem>_mask.png) and its ManuDefect-21 extension (train/<defect-type>).
// Lists files only (no decoding); every deviation becomes a Problem rather than an exception.
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import fg from 'fast-glob';
import { IMAGE_EXTENSIONS, isImagePath } from './formats.js';
import { sortPaths } from './glob.js';
import type { Problem, Sample, Split } from './dataset-types.js';

const SPLITS: readonly Split[] = ['train', 'test'];
const MASK_NAME = new RegExp(`^(.*)_mask\\.(${IMAGE_EXTENSIONS.join('|')})$`, 'i');

/** True when `dir` has a train/ or test/ subdirectory, i.e. it is one category. */
export async function isCategoryDir(dir: string): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if ((SPLITS as readonly string[]).includes(e.name) && (await isDirEntry(dir, e))) return true;
  }
  return false;
}

/** A directory, or a symbolic link to one (datasets are often linked into place). */
export async function isDirEntry(parent: string, e: Dirent): Promise<boolean> {
  if (e.isDirectory()) return true;
  if (!e.isSymbolicLink()) return false;
  return stat(join(parent, e.name)).then((s) => s.isDirectory(), () => false);
}

export async function scanCategory(dir: string, category: string): Promise<{ samples: Sample[]; problems: Problem[] }> {
  const problems: Problem[] = [];
  const problem: ReportProblem = (p) => {
    problems.push({ ...p, category });
  };
  // Exactly <split>/<type>/<file>: deeper files are not part of the layout.
  const files = sortPaths(await fg(['train/*/*', 'test/*/*', 'ground_truth/**/*'], { cwd: dir, onlyFiles: true }));
  const masks = indexMasks(dir, files, problem);
  const { samples, used, unmasked } = matchImages(dir, category, files, masks, problem);

  // A category without any mask is an image-level dataset (good/defective labels only): accepted as such, with
  // image metrics only. Some masks but not all is more likely a slip, so each gap is named (still a warning:
  // pixel metrics then cover the defects that have masks).
  if (masks.size > 0) {
    for (const u of unmasked) {
      problem({
        code: 'E_MASK_MISSING',
        severity: 'warning',
        path: u.path,
        message: `Defect image ${u.path} has no mask; pixel metrics leave it out. Expected ${u.expected}.`,
      });
    }
  }
  reportOrphanMasks(dir, masks, used, problem);
  checkCoverage(dir, category, samples, problem);
  return { samples, problems };
}

type ReportProblem = (p: Omit<Problem, 'category'>) => void;

/** Masks keyed by "<dirs under ground_truth>/<stem>", so images find theirs with one lookup. */
function indexMasks(dir: string, files: readonly string[], problem: ReportProblem): Map<string, string> {
  const masks = new Map<string, string>();
  for (const rel of files.filter((f) => f.startsWith('ground_truth/'))) {
    const under = rel.slice('ground_truth/'.length);
    const m = MASK_NAME.exec(basename(under));
    if (!m) {
      problem({
        code: 'E_DATASET',
        severity: 'warning',
        path: join(dir, rel),
        message: `Ignored ${join(dir, rel)}: expected mask files named <image stem>_mask.png under ground_truth/<type>/.`,
      });
      continue;
    }
    const parent = under.slice(0, under.length - basename(under).length);
    masks.set(`${parent}${m[1]}`, rel);
  }
  return masks;
}

/** The images of the split folders, each defect with its mask where one is found; the mask keys used, the defects without. */
function matchImages(dir: string, category: string, files: readonly string[], masks: Map<string, string>, problem: ReportProblem) {
  const used = new Set<string>();
  const samples: Sample[] = [];
  const unmasked: { path: string; expected: string }[] = [];
  for (const rel of files.filter((f) => !f.startsWith('ground_truth/'))) {
    const [split, type, name] = rel.split('/') as [Split, string, string];
    const path = join(dir, rel);
    if (!isImagePath(name)) {
      problem({
        code: 'E_DATASET',
        severity: 'warning',
        path,
        message: `Ignored ${path}: not a .${IMAGE_EXTENSIONS.join('/.')} file.`,
      });
      continue;
    }
    const label: 0 | 1 = type === 'good' ? 0 : 1;
    let maskPath: string | null = null;
    if (label === 1) {
      const stem = basename(name, extname(name));
      // ManuDefect-21 may separate masks by split (ground_truth/train/<type>); MVTec has ground_truth/<type>.
      const key = [`${split}/${type}/${stem}`, `${type}/${stem}`].find((k) => masks.has(k));
      if (key === undefined) {
        unmasked.push({ path, expected: join(dir, 'ground_truth', type, `${stem}_mask.png`) });
      } else {
        if (used.has(key)) {
          problem({
            code: 'E_DATASET',
            severity: 'warning',
            path: join(dir, masks.get(key) as string),
            message: `Mask ${join(dir, masks.get(key) as string)} is claimed by more than one image (same stem in train and test); expected one mask per image, e.g. under ground_truth/${split}/${type}/.`,
          });
        }
        used.add(key);
        maskPath = join(dir, masks.get(key) as string);
      }
    }
    samples.push({ path, category, split, label, defectType: type, maskPath });
  }
  return { samples, used, unmasked };
}

function reportOrphanMasks(dir: string, masks: Map<string, string>, used: Set<string>, problem: ReportProblem): void {
  for (const [key, rel] of masks) {
    if (used.has(key)) continue;
    const parts = key.split('/');
    const stem = parts[parts.length - 1] as string;
    const type = parts[parts.length - 2] ?? '<type>';
    problem({
      code: 'E_DATASET',
      severity: 'warning',
      path: join(dir, rel),
      message: `Mask ${join(dir, rel)} belongs to no image; expected an image ${stem}.png (or another format) in test/${type}/ or train/${type}/.`,
    });
  }
}

/** No images at all is an error; no normal training images, a warning. */
function checkCoverage(dir: string, category: string, samples: readonly Sample[], problem: ReportProblem): void {
  if (samples.length === 0) {
    problem({
      code: 'E_DATASET',
      severity: 'error',
      path: dir,
      message: `Category ${category} has no images; expected images in ${join(dir, 'train', 'good')} and ${join(dir, 'test', '<type>')}.`,
    });
  } else if (!samples.some((s) => s.split === 'train' && s.label === 0)) {
    problem({
      code: 'E_DATASET',
      severity: 'warning',
      path: join(dir, 'train', 'good'),
      message: `Category ${category} has no normal training images; expected images in ${join(dir, 'train', 'good')}.`,
    });
  }
}
