// A PatchCore ensemble: one train-patchcore run per member (each its own versioned artifact, e.g. MobileNetV2 with
// position channels and InceptionV3 without), then the members' image scores and maps on the held-out train
// normals give each member's standardisation, the combined detector is validated exactly as build-perfmap
// validates (never the test split), and an ensemble artifact naming its members is written last (so LATEST is it).
import { relative, resolve } from 'node:path';
import { loadArtifact, writeArtifact, type ArtifactRef } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
import type { Detector } from '../detectors/detector.js';
import { loadPatchcoreDetector, PATCHCORE_KIND } from '../submodels/patchcore/detector.js';
import { patchcoreEnsembleDetector, type PatchcoreEnsembleConfig, type PatchcoreEnsembleMember } from '../submodels/patchcore/ensemble-detector.js';
import { datasetFingerprint, loadDataset, streamSamples, type Dataset, type Sample } from '../io/dataset.js';
import { planValidation, type ValidationPlan } from '../perfmap/validation-set.js';
import { TextureBank } from '../synth/texture-bank.js';
import { imagesToTensor } from '../train/tensors.js';
import { thresholdsFile, validateDetector, VALIDATION_LAMBDA, type DetectorTrainingMetrics } from '../train/train-detector-validation.js';
import { DEFAULT_VAL_FRACTION } from '../train/train-options.js';
import { trainNormalsOutside } from '../train/train-split.js';
import { detectorMetrics, trainPatchcore, type TrainPatchcoreOptions, type TrainPatchcoreResult } from './train-patchcore.js';

/** What a member may set differently from the shared options. */
export type PatchcoreMemberOptions = Pick<TrainPatchcoreOptions, 'backbone' | 'layers' | 'globalLayer' | 'globalWeight' | 'positionWeight' | 'scoreTopFraction' | 'coresetRatio' | 'maxBankRows'>;

/** The measured choice (bench/results/patchcore.md): nsfwjs MobileNetV2 with position channels + InceptionV3 without. */
export const DEFAULT_PATCHCORE_ENSEMBLE: readonly PatchcoreMemberOptions[] = [
  { backbone: 'npm:nsfwjs/mobilenet_v2', positionWeight: 128 },
  { backbone: 'npm:nsfwjs/inception_v3', positionWeight: 0 },
];

export interface TrainPatchcoreEnsembleResult {
  artifact: { dir: string; version: number };
  category: string;
  members: TrainPatchcoreResult[];
  standardisation: PatchcoreEnsembleMember[];
  metrics: DetectorTrainingMetrics;
  validation: { source: string; normals: number; defects: number };
  /** Wall seconds of everything (members included). */
  seconds: number;
}

/** Smallest spread / scale divided by (a hold-out of identical images has none). */
const MIN_SPREAD = 1e-6;

export async function trainPatchcoreEnsemble(opts: TrainPatchcoreOptions & { members?: readonly PatchcoreMemberOptions[] }): Promise<TrainPatchcoreEnsembleResult> {
  const started = performance.now();
  const memberOpts = opts.members ?? DEFAULT_PATCHCORE_ENSEMBLE;
  if (memberOpts.length < 2) throw new MadenetError('E_USAGE', `A PatchCore ensemble got ${memberOpts.length} member(s); expected at least 2.`);
  const seed = opts.seed ?? 0;
  const valFraction = opts.valFraction ?? DEFAULT_VAL_FRACTION;
  const batchSize = opts.batchSize ?? 8;
  const members: TrainPatchcoreResult[] = [];
  for (const m of memberOpts) members.push(await trainPatchcore({ ...opts, ...m }));

  const detectors: Detector[] = [];
  try {
    for (const m of members) detectors.push(await loadPatchcoreDetector(await loadArtifact(m.artifact.dir)));
    const size = members[0]?.imageSize as number;
    const dataset = await loadDataset(opts.data, { categories: [opts.category] });
    const plan = planValidation(dataset, opts.category, { valFraction, seed });
    const standardisation = await standardiseMembers(members, detectors, plan.normals, size);
    const detector = patchcoreEnsembleDetector(
      detectors.map((det, i) => ({ detector: det, ...(standardisation[i] as PatchcoreEnsembleMember) })),
      { category: opts.category, artifactDir: null, ownsMembers: false },
    );
    const textures = await TextureBank.forRun(opts.textures, size, seed);
    const { evaluation } = await validateDetector(detector, plan, { textures, batchSize });
    const metrics = detectorMetrics(evaluation);
    const { ref, recorded } = await writeEnsembleArtifact({ opts, members, standardisation, dataset, plan, textures, evaluation, metrics, started });
    return {
      artifact: { dir: ref.dir, version: ref.version },
      category: opts.category,
      members,
      standardisation: recorded,
      metrics,
      validation: { source: plan.source, normals: evaluation.normals, defects: evaluation.defects },
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    for (const d of detectors) d.dispose();
  }
}

/** Each member's score mean/spread and mean map maximum on the held-out normals (the same ones every member held out). */
async function standardiseMembers(members: TrainPatchcoreResult[], detectors: Detector[], normals: Sample[], size: number): Promise<PatchcoreEnsembleMember[]> {
  const scores: number[][] = detectors.map(() => []);
  const mapMax: number[][] = detectors.map(() => []);
  for await (const d of streamSamples(normals, { size })) {
    const x = imagesToTensor([d.image]);
    for (const [i, det] of detectors.entries()) {
      const out = det.predict(x);
      scores[i]?.push(((await out.scores.data()) as Float32Array)[0] as number);
      mapMax[i]?.push(((await out.maps.max().data()) as Float32Array)[0] as number);
      out.scores.dispose();
      out.maps.dispose();
    }
    x.dispose();
  }
  return members.map((m, i) => {
    const s = scores[i] as number[];
    const mean = s.reduce((a, v) => a + v, 0) / s.length;
    const sd = Math.sqrt(s.reduce((a, v) => a + (v - mean) ** 2, 0) / s.length);
    const mm = mapMax[i] as number[];
    return { dir: m.artifact.dir, scoreMean: mean, scoreStd: Math.max(MIN_SPREAD, sd), mapScale: Math.max(MIN_SPREAD, mm.reduce((a, v) => a + v, 0) / mm.length) };
  });
}

interface EnsembleOutcome {
  opts: TrainPatchcoreOptions;
  members: TrainPatchcoreResult[];
  standardisation: PatchcoreEnsembleMember[];
  dataset: Dataset;
  plan: ValidationPlan;
  textures: TextureBank;
  evaluation: Awaited<ReturnType<typeof validateDetector>>['evaluation'];
  metrics: DetectorTrainingMetrics;
  started: number;
}

/** Writes the ensemble artifact (naming its members, relative to it) last, so LATEST is it. */
async function writeEnsembleArtifact(o: EnsembleOutcome): Promise<{ ref: ArtifactRef; recorded: PatchcoreEnsembleMember[] }> {
  const { opts, members, plan } = o;
  const seed = opts.seed ?? 0;
  const valFraction = opts.valFraction ?? DEFAULT_VAL_FRACTION;
  const root = resolve(opts.out);
  const train = trainNormalsOutside(o.dataset, opts.category, plan, valFraction, seed);
  const fingerprint = datasetFingerprint(train);
  // The ensemble goes to the same <out>/patchcore/<category>/ as its members: member paths relative to it.
  const base = resolve(root, PATCHCORE_KIND, opts.category, 'vXXXX');
  const recorded = o.standardisation.map((s) => ({ ...s, dir: relative(base, s.dir) }));
  const config: PatchcoreEnsembleConfig & Record<string, unknown> = {
    ensemble: { members: recorded },
    memberSettings: members.map((m) => ({ backbone: m.backbone, layers: m.layers, globalLayer: m.globalLayer, provenance: m.provenance, version: m.artifact.version })),
    validation: { valFraction, seed, source: plan.source, lambda: VALIDATION_LAMBDA, textures: o.textures.source },
    data: { root: o.dataset.root, category: opts.category, trainImages: train.length, fingerprint },
  };
  const seconds = (performance.now() - o.started) / 1000;
  const parents: Pick<ArtifactRef, 'kind' | 'category' | 'version'>[] = members.map((m) => ({ kind: PATCHCORE_KIND, category: opts.category, version: m.artifact.version }));
  const ref = await writeArtifact({
    root,
    kind: PATCHCORE_KIND,
    category: opts.category,
    config,
    seed,
    datasetFingerprint: fingerprint,
    runtime: members[0]?.runtime,
    metrics: { validation: o.metrics, seconds },
    parents,
    files: { 'thresholds.json': thresholdsFile(o.evaluation) },
  });
  return { ref, recorded };
}
