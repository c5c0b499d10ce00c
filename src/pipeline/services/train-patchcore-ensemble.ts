// A PatchCore ensemble: one PatchCore build per member (each its own versioned artifact, e.g. MobileNetV2 with
// position channels and InceptionV3 without), then the members' image scores and maps on the held-out train
// normals give each member's standardisation, the combined detector is validated exactly as build-perfmap
// validates (never the test split), and an ensemble artifact naming its members is written last; only it moves LATEST
// (members are written with keepLatest), so a run stopped between them leaves LATEST where it was.
// The members' validation detectors stay live and remember their outputs per image, so the ensemble's
// standardisation and validation read the members' scores back instead of running the backbones again.
// `train-patchcore --backbone A+B` lands here (trainPatchcore dispatches on the '+').
import { basename, join, resolve } from 'node:path';
import { writeArtifact, type ArtifactRef } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
import { meanAndSpread, MIN_SPREAD } from '../core/moments.js';
import type { AsyncDetector } from '../engines/async-detector.js';
import { combinedFeatureEngine } from '../features/onnx-features.js';
import { PATCHCORE_KIND } from '../submodels/patchcore/detector.js';
import { patchcoreEnsembleAsyncDetector, type PatchcoreEnsembleConfig, type PatchcoreEnsembleMember } from '../submodels/patchcore/ensemble-detector.js';
import { ensembleInputSize } from '../submodels/patchcore/model/ensemble.js';
import { datasetFingerprint, loadDataset, streamSamples, type Dataset, type Sample } from '../io/dataset.js';
import { scoreBatch } from '../infer/detector-batch.js';
import { planValidation, type ValidationPlan } from '../perfmap/validation-set.js';
import { TextureBank } from '../synth/texture-bank.js';
import { thresholdsFile, validateDetector, VALIDATION_LAMBDA } from '../train/train-detector-validation.js';
import { trainNormalsOutside } from '../train/train-split.js';
import { isNpmBackbone, layerStride, type BackboneProvenance } from '../weights/backbone-registry.js';
import { RANDOM_BACKBONE } from '../weights/backbone-source.js';
import { buildPatchcore, detectorMetrics, PATCHCORE_DEFAULT_BACKBONE, patchcoreSettings, type BuiltPatchcore, type PatchcoreSettings, type PatchcoreMemberSettings, type TrainPatchcoreOptions, type TrainPatchcoreResult } from './train-patchcore-bank.js';

/** What a member may set differently from the shared options. */
export type PatchcoreMemberOptions = PatchcoreMemberSettings;

/** Member backbones of a spec: `A+B` -> [A, B]; a single id -> [id]. */
export function ensembleBackbones(spec: string): string[] {
  const parts = spec.split('+').map((p) => p.trim());
  if (parts.some((p) => p.length === 0)) throw new MadenetError('E_USAGE', `--backbone is '${spec}'; expected one backbone id, or several joined by '+' (e.g. ${PATCHCORE_DEFAULT_BACKBONE}).`);
  return parts;
}

/** train-patchcore's result for an ensemble: the ensemble artifact's figures (sums over members where a count), plus each member's own result. */
export interface TrainPatchcoreEnsembleResult extends TrainPatchcoreResult {
  members: TrainPatchcoreResult[];
  standardisation: PatchcoreEnsembleMember[];
}

export async function trainPatchcoreEnsemble(opts: TrainPatchcoreOptions & { members?: readonly PatchcoreMemberOptions[] }): Promise<TrainPatchcoreEnsembleResult> {
  const started = performance.now();
  const memberOpts = opts.members ?? ensembleBackbones(opts.backbone ?? PATCHCORE_DEFAULT_BACKBONE).map((backbone) => ({ backbone }));
  if (memberOpts.length < 2) throw new MadenetError('E_USAGE', `A PatchCore ensemble got ${memberOpts.length} member(s); expected at least 2.`);
  const nameless = memberOpts.findIndex((m) => !m.backbone || m.backbone.includes('+'));
  if (nameless >= 0) throw new MadenetError('E_USAGE', `PatchCore ensemble member ${nameless + 1} has backbone '${memberOpts[nameless]?.backbone ?? ''}'; expected one backbone id per member.`);
  // Every member's settings are checked before the first one builds: a typo in the last member's layers must not
  // surface only after the others have trained (minutes each on real data), leaving orphan member versions.
  const settings = memberOpts.map((m) => checkMemberSettings({ ...opts, ...m }));
  // Seed, validation fraction and batch size are shared options, the same in every member's settings.
  const { seed, valFraction, batchSize } = settings[0] as PatchcoreSettings;
  const built: BuiltPatchcore[] = [];
  try {
    for (const m of memberOpts) built.push(await buildPatchcore({ ...opts, ...m }, { member: true }));
    const members = built.map((b) => b.result);
    const size = ensembleInputSize(members);
    const t0 = performance.now();
    const dataset = await loadDataset(opts.data, { categories: [opts.category] });
    const plan = planValidation(dataset, opts.category, { valFraction, seed });
    const validators = built.map((b) => b.validator);
    const standardisation = await standardiseMembers(members, validators, plan.normals, size, batchSize);
    const detector = patchcoreEnsembleAsyncDetector(
      validators.map((detector, i) => ({ detector, ...(standardisation[i] as PatchcoreEnsembleMember) })),
      { category: opts.category, artifactDir: null, ownsMembers: false },
    );
    const textures = await TextureBank.forRun(opts.textures, size, seed);
    const { evaluation } = await validateDetector(detector, plan, { textures, batchSize });
    const metrics = detectorMetrics(evaluation);
    const validationSeconds = (performance.now() - t0) / 1000;
    const { ref, recorded } = await writeEnsembleArtifact({ opts, seed, valFraction, members, standardisation, dataset, plan, textures, evaluation, metrics, started });
    const sum = (f: (m: TrainPatchcoreResult) => number): number => members.reduce((a, m) => a + f(m), 0);
    const featuresSeconds = sum((m) => m.timings.featuresSeconds);
    const first = members[0] as TrainPatchcoreResult;
    const caches = members.map((m) => m.featureCache).filter((c) => c !== null);
    return {
      artifact: { dir: ref.dir, version: ref.version },
      category: opts.category,
      imageSize: size,
      backbone: members.map((m) => m.backbone).join('+'),
      provenance: ensembleProvenance(members),
      layers: members.flatMap((m) => m.layers),
      globalLayer: null,
      trainImages: first.trainImages,
      patchRows: sum((m) => m.patchRows),
      bankRows: sum((m) => m.bankRows),
      coreset: { scope: first.coreset.scope, groups: sum((m) => m.coreset.groups) },
      featureDim: sum((m) => m.featureDim),
      metrics,
      validation: { source: plan.source, normals: evaluation.normals, defects: evaluation.defects },
      normalization: null,
      timings: { featuresSeconds, coresetSeconds: sum((m) => m.timings.coresetSeconds), validationSeconds: sum((m) => m.timings.validationSeconds) + validationSeconds },
      seconds: (performance.now() - started) / 1000,
      imagesPerSecond: first.trainImages / Math.max(featuresSeconds, 1e-9),
      featureCache: caches.length === 0 ? null : { dir: caches.map((c) => c.dir).join(', '), hits: caches.reduce((a, c) => a + c.hits, 0), misses: caches.reduce((a, c) => a + c.misses, 0), evicted: caches.reduce((a, c) => a + c.evicted, 0) },
      featureEngine: combinedFeatureEngine(members.map((m) => ({ name: m.backbone, featureEngine: m.featureEngine }))),
      runtime: first.runtime,
      warnings: members.flatMap((m) => m.warnings.map((w) => `${m.backbone}: ${w}`)),
      members,
      standardisation: recorded,
    };
  } finally {
    for (const b of built) await b.release();
  }
}

/** A member's settings, validated, its layers checked against its backbone where that needs no loading (packaged networks, random ResNets). */
function checkMemberSettings(opts: TrainPatchcoreOptions): PatchcoreSettings {
  const settings = patchcoreSettings(opts);
  const { backbone, cfg } = settings;
  if (backbone !== RANDOM_BACKBONE && !isNpmBackbone(backbone)) return settings;
  for (const layer of cfg.globalLayer ? [...cfg.layers, cfg.globalLayer] : cfg.layers) layerStride(backbone, layer);
  return settings;
}

/** One provenance for the ensemble: the shared package, version and licence when all members come from one npm package (nets joined by '+'); else the first member's kind with the nets listed. */
function ensembleProvenance(members: TrainPatchcoreResult[]): BackboneProvenance {
  const ps = members.map((m) => m.provenance);
  const npm = ps.filter((p): p is Extract<BackboneProvenance, { kind: 'npm' }> => p.kind === 'npm');
  const p0 = npm[0];
  if (p0 && npm.length === ps.length && npm.every((p) => p.package === p0.package && p.version === p0.version && p.license === p0.license)) {
    return { ...p0, id: npm.map((p) => p.id).join('+'), net: npm.map((p) => p.net).join('+') };
  }
  return ps[0] as BackboneProvenance;
}

/** Each member's score mean/spread and mean map maximum on the held-out normals (the same ones every member held out). */
async function standardiseMembers(members: TrainPatchcoreResult[], detectors: AsyncDetector[], normals: Sample[], size: number, batchSize: number): Promise<PatchcoreEnsembleMember[]> {
  const scores: number[][] = detectors.map(() => []);
  const mapMax: number[][] = detectors.map(() => []);
  const images = [];
  for await (const d of streamSamples(normals, { size })) images.push(d.image);
  for (let i = 0; i < images.length; i += batchSize) {
    const batch = images.slice(i, i + batchSize);
    for (const [k, det] of detectors.entries()) {
      const out = await scoreBatch(det, batch);
      const area = out.mapSize * out.mapSize;
      out.scores.forEach((s, j) => {
        scores[k]?.push(s);
        let m = -Infinity;
        for (let p = j * area; p < (j + 1) * area; p++) m = Math.max(m, out.maps[p] as number);
        mapMax[k]?.push(m);
      });
    }
  }
  return members.map((m, i) => {
    const score = meanAndSpread(scores[i] as number[]);
    // The map scale is a mean map maximum, floored like a spread: every map is divided by it.
    return { dir: m.artifact.dir, scoreMean: score.mean, scoreStd: score.std, mapScale: Math.max(MIN_SPREAD, meanAndSpread(mapMax[i] as number[]).mean) };
  });
}

interface EnsembleOutcome {
  opts: TrainPatchcoreOptions;
  seed: number;
  valFraction: number;
  members: TrainPatchcoreResult[];
  standardisation: PatchcoreEnsembleMember[];
  dataset: Dataset;
  plan: ValidationPlan;
  textures: TextureBank;
  evaluation: Awaited<ReturnType<typeof validateDetector>>['evaluation'];
  metrics: ReturnType<typeof detectorMetrics>;
  started: number;
}

/** Writes the ensemble artifact (naming its members, relative to it) last, so LATEST is it. */
async function writeEnsembleArtifact(o: EnsembleOutcome): Promise<{ ref: ArtifactRef; recorded: PatchcoreEnsembleMember[] }> {
  const { opts, seed, valFraction, members, plan } = o;
  const root = resolve(opts.out);
  const train = trainNormalsOutside(o.dataset, opts.category, plan, valFraction, seed);
  const fingerprint = datasetFingerprint(train);
  // Members and the ensemble are versions side by side in <out>/patchcore/<category>/: from the ensemble's own
  // vNNNN folder a member is ../vMMMM.
  const recorded = o.standardisation.map((s) => ({ ...s, dir: join('..', basename(s.dir)) }));
  const config: PatchcoreEnsembleConfig & Record<string, unknown> = {
    ensemble: { members: recorded },
    memberSettings: members.map((m) => ({ backbone: m.backbone, layers: m.layers, globalLayer: m.globalLayer, provenance: m.provenance, version: m.artifact.version, featureEngine: m.featureEngine })),
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
