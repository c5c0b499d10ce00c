// The performance map document (perfmap.json inside a perfmap/all/vNNNN artifact): per category the
// validation metrics of every submodel, the choice, its margin and thresholds. Types, parsing and loading.
import { loadArtifact, type LoadedArtifact } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
import type { SubmodelKind } from '../detectors/detector.js';
import type { ThresholdChoice } from '../eval/threshold.js';
import type { ArtifactPointer } from './artifact-pointer.js';

export const PERFMAP_SCHEMA = 'madenet.perfmap/v1';
export const PERFMAP_FILE = 'perfmap.json';
export const PERFMAP_KIND = 'perfmap';
export const PERFMAP_CATEGORY = 'all';

/**
 * Where the validation defects came from: the dataset's train-split defects, synthesised ones, or a separate
 * labelled folder of real defects (build-perfmap --validation-data), preferred wherever it has the category.
 */
export type ValidationSource = 'train-defects' | 'synthetic' | 'validation-data';

/**
 * What the choice maximised: lambda * AUROC + (1 - lambda) * Pixel-AP, or image AUROC alone ('image-auroc',
 * lambda ignored) where no validation defect has a mask (image-level data).
 */
export type ObjectiveKind = 'lambda' | 'image-auroc';

export interface CandidateMetrics {
  kind: SubmodelKind;
  artifact: ArtifactPointer;
  /** Square input side of the submodel. */
  imageSize: number;
  /** Image-level AUROC on the validation set (null only if a class is missing). */
  imageAuroc: number | null;
  /** Pixel average precision at the validation size (null when no validation defect has a mask). */
  pixelAp: number | null;
  /** lambda * imageAuroc + (1 - lambda) * pixelAp, or imageAuroc when pixelAp is null. */
  objective: number | null;
  threshold: ThresholdChoice;
  /** Lowest and highest anomaly-map value over the validation set: the colour scale of overlays. */
  mapRange: { lo: number; hi: number };
  /**
   * Mean and standard deviation of the image scores of the validation normals; infer reports (raw - center) /
   * spread and the threshold on the same scale. Null (or absent, in maps written before it) = raw scores.
   */
  scoreScale?: { center: number; spread: number } | null;
  /**
   * Anomaly-map value from which infer's predicted masks mark a pixel: the value that the maps of at most
   * targetFpr of the validation normals reach anywhere (raw map units). Absent in maps written before it.
   */
  maskThreshold?: number | null;
}

/** A raw image score of `c` on the scale infer reports (see scoreScale); the identity without a scale. */
export function routedScore(c: Pick<CandidateMetrics, 'scoreScale'>, raw: number): number {
  const s = c.scoreScale ?? null;
  return s ? (raw - s.center) / s.spread : raw;
}

/** The decision threshold of `c` on the scale infer, evaluate and the report use: the one scale users see. */
export function routedThreshold(c: Pick<CandidateMetrics, 'scoreScale' | 'threshold'>): number {
  return routedScore(c, c.threshold.threshold);
}

export interface CategoryEntry {
  validation: {
    source: ValidationSource;
    normals: number;
    defects: number;
    /** Validation defects with a pixel mask (Pixel-AP covers these only; 0 = image-level). Absent in older maps. */
    masked?: number;
    size: number;
    /** Absent in maps written before it: 'lambda'. */
    objective?: ObjectiveKind;
  };
  /** The kind chosen for this category (the argmax of objective). */
  chosen: SubmodelKind;
  runnerUp: SubmodelKind | null;
  /** objective(chosen) - objective(runner-up); 0 on a tie, null with a single candidate. */
  margin: number | null;
  /** True when the runner-up has exactly the chosen objective (resolved by AUROC, then argument order). */
  tie: boolean;
  /** Best first. */
  candidates: CandidateMetrics[];
}

export interface ClassifierPointer extends ArtifactPointer {
  categories: string[];
  imageSize: number;
}

export interface PerfMap {
  schema: typeof PERFMAP_SCHEMA;
  lambda: number;
  targetFpr: number;
  valFraction: number;
  seed: number;
  data: string;
  datasetFingerprint: string;
  /** build-perfmap --validation-data: the labelled real-defect folder used in preference (null: none given). */
  validationData?: { root: string; fingerprint: string; categories: string[] } | null;
  classifier: ClassifierPointer | null;
  categories: Record<string, CategoryEntry>;
  /**
   * The low-confidence fallback kind validation suggests (perfmap/fallback.ts): present in every category, best
   * mean objective. Informational: infer uses it only when asked (its --fallback default stays sfad). Absent in
   * older maps; null when no kind is in every category.
   */
  fallback?: { kind: SubmodelKind; meanObjective: number; ranking: { kind: SubmodelKind; meanObjective: number }[] } | null;
}

export interface LoadedPerfMap {
  perfmap: PerfMap;
  artifact: LoadedArtifact;
}

export async function loadPerfMap(path: string): Promise<LoadedPerfMap> {
  const artifact = await loadArtifact(path);
  if (artifact.manifest.kind !== PERFMAP_KIND) {
    throw new MadenetError('E_PERFMAP', `Artifact ${artifact.dir} is of kind '${artifact.manifest.kind}'; expected a performance map (kind '${PERFMAP_KIND}').`, {
      suggestions: ['Pass the directory written by `madenet build-perfmap` (e.g. ./artifacts/perfmap/all or ./artifacts/perfmap/all/v0001).'],
    });
  }
  const text = (await artifact.readFile(PERFMAP_FILE)).toString('utf8');
  return { perfmap: parsePerfMap(text, `${artifact.dir}/${PERFMAP_FILE}`), artifact };
}

export function parsePerfMap(text: string, where: string): PerfMap {
  const fail = (why: string): MadenetError =>
    new MadenetError('E_SCHEMA', `Performance map ${where} ${why}; expected a ${PERFMAP_SCHEMA} document written by build-perfmap.`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw fail(`is not valid JSON (${(err as Error).message})`);
  }
  const m = v as Partial<PerfMap> | null;
  if (typeof m !== 'object' || m === null) throw fail('is not a JSON object');
  if (m.schema !== PERFMAP_SCHEMA) throw fail(`has schema ${JSON.stringify(m.schema)}`);
  if (typeof m.categories !== 'object' || m.categories === null || Object.keys(m.categories).length === 0) throw fail('lists no categories');
  for (const [category, e] of Object.entries(m.categories)) {
    if (!Array.isArray(e?.candidates) || e.candidates.length === 0) throw fail(`has no candidates for category ${category}`);
    if (!e.candidates.some((c) => c.kind === e.chosen)) throw fail(`chooses ${JSON.stringify(e.chosen)} for ${category}, which is none of its candidates`);
    for (const c of e.candidates) {
      if (typeof c.threshold?.threshold !== 'number' || typeof c.artifact?.manifestSha256 !== 'string' || !Number.isInteger(c.imageSize)) {
        throw fail(`has an incomplete ${c.kind} candidate for ${category}`);
      }
    }
  }
  // Category names come from users: "__proto__" or "constructor" must find nothing, not Object.prototype's members.
  return { ...(m as PerfMap), categories: Object.assign(Object.create(null) as PerfMap['categories'], m.categories) };
}

/** The candidate of `kind` for `category`, or undefined. */
export function candidateOf(perfmap: PerfMap, category: string, kind: SubmodelKind): CandidateMetrics | undefined {
  return perfmap.categories[category]?.candidates.find((c) => c.kind === kind);
}
