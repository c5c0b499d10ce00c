// `madenet export`: converts a submodel or classifier artifact to ONNX (opset 17), checks onnxruntime against
// tfjs on real images, and only when they agree writes a new artifact version holding the same model files plus
// model.onnx, recorded with its sha256 and the parity numbers in manifest.metrics.onnx. No flags, no printing.
import { resolve } from 'node:path';
import { loadArtifact, MANIFEST_FILE, toolVersion, writeArtifact, type ArtifactRef, type LoadedArtifact } from '../artifacts/index.js';
import { sha256, sha256File } from '../artifacts/files.js';
import { MODEL_JSON, WEIGHTS_BIN } from '../artifacts/tfjs-files.js';
import { MadenetError } from '../core/errors.js';
import { loadClassifierArtifact, loadDetector } from '../detectors/registry.js';
import { tfjsAsyncClassifier, tfjsAsyncDetector } from '../engines/async-detector.js';
import { onnxClassifierFromBytes, onnxDetectorFromBytes } from '../engines/onnx-detector.js';
import { loadOrt } from '../engines/onnxruntime.js';
import { artifactGraph } from '../export/artifact-graph.js';
import { ONNX_CONTRACT_VERSION, ONNX_FILE, ONNX_META } from '../export/onnx-contract.js';
import { ONNX_OPSET } from '../export/onnx-graph.js';
import { encodeModel } from '../export/onnx-proto.js';
import { readOnnxRecord, type OnnxRecord, type ParityReport, type ParityTolerance } from '../export/onnx-record.js';
import { classifierParity, DEFAULT_PARITY_IMAGES, DEFAULT_PARITY_TOLERANCE, detectorParity, parityInputs, type ParityInputs, type ParityRun } from '../export/parity.js';
import { CLASSIFIER_KIND } from '../infer/classifier-contract.js';
import type { SubmodelKind } from '../detectors/detector.js';
import { initRuntime, type BackendRequest } from '../runtime/backend.js';

export const EXPORT_FORMATS = ['onnx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  /** Artifact version directory (or <root>/<kind>/<category>, meaning its LATEST). */
  model: string;
  format?: ExportFormat;
  /** Images for the parity check (a directory, file or glob); default: rendered demo images. */
  data?: string;
  /** How many images the parity check runs (default 8). */
  parityImages?: number;
  /** Relative tolerance of the parity check (default 1e-4, see ParityTolerance). */
  tolerance?: number;
  /** Seed of the demo images' choice. */
  seed?: number;
  backend?: BackendRequest;
  threads?: number;
  onProgress?: (message: string) => void;
}

export interface ExportResult {
  source: { dir: string; kind: string; category: string; version: number };
  artifact: { dir: string; version: number };
  onnx: { file: string; path: string; sha256: string; bytes: number; opset: number; nodes: number };
  parity: ParityReport;
  timing: { convertSeconds: number; parity: { tfjsSeconds: number; onnxSeconds: number }; totalSeconds: number };
}

/** The files of `names`' tfjs models inside an artifact (what writeArtifact's `models` recreates). */
function modelFileNames(names: readonly string[]): Set<string> {
  return new Set(names.flatMap((n) => (n === 'model' ? [MODEL_JSON, WEIGHTS_BIN] : [`${n}/${MODEL_JSON}`, `${n}/${WEIGHTS_BIN}`])));
}

function categoriesOf(artifact: LoadedArtifact): string[] {
  const cats = (artifact.manifest.config as { categories?: unknown } | null)?.categories;
  return artifact.manifest.kind === CLASSIFIER_KIND && Array.isArray(cats) ? cats.filter((c): c is string => typeof c === 'string') : [artifact.manifest.category];
}

export async function exportModel(opts: ExportOptions): Promise<ExportResult> {
  const t0 = performance.now();
  const say = opts.onProgress ?? (() => undefined);
  const { count, tolerance } = checkedOptions(opts);
  const ort = await loadOrt();
  const runtime = await initRuntime({ backend: opts.backend ?? 'auto', threads: opts.threads ?? 0 });
  const source = await loadArtifact(opts.model);
  const { kind, category, version } = source.manifest;
  say(`converting ${kind} ${category} v${version} to ONNX`);
  const { graph, imageSize } = await artifactGraph(source);
  const bytes = encodeModel(
    graph.toModel({
      producerVersion: toolVersion(),
      docString: `madenet ${kind} ${category} v${version}`,
      metadata: { [ONNX_META.contract]: String(ONNX_CONTRACT_VERSION), [ONNX_META.kind]: kind, [ONNX_META.imageSize]: String(imageSize) },
    }),
  );
  const convertSeconds = (performance.now() - t0) / 1000;

  say(`parity check on ${count} ${opts.data === undefined ? 'demo images' : `images from ${opts.data}`}`);
  const inputs = await parityInputs({ size: imageSize, count, seed: opts.seed ?? 0, categories: categoriesOf(source), ...(opts.data === undefined ? {} : { data: opts.data }) });
  const run = await runParity(source, bytes, imageSize, inputs, tolerance, opts.threads === undefined ? {} : { threads: opts.threads });
  const parity: ParityReport = { ...run.report, tfjsBackend: runtime.backend, onnxruntime: ort.env.versions.common ?? 'unknown' };
  if (!parity.passed) throw parityFailure(source.dir, parity, tolerance.relative);

  say('writing the exported version');
  const record: OnnxRecord = {
    file: ONNX_FILE,
    sha256: sha256(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
    bytes: bytes.byteLength,
    opset: ONNX_OPSET,
    contract: ONNX_CONTRACT_VERSION,
    exportedFrom: { kind, category, version, manifestSha256: (await sha256File(resolve(source.dir, MANIFEST_FILE))).sha256 },
    parity,
  };
  const ref = await writeExportedVersion(source, bytes, record, { tfjs: runtime, onnxruntime: ort.env.versions }, runtime.backend);
  return {
    source: { dir: source.dir, kind, category, version },
    artifact: { dir: ref.dir, version: ref.version },
    onnx: { file: ONNX_FILE, path: resolve(ref.dir, ONNX_FILE), sha256: record.sha256, bytes: record.bytes, opset: ONNX_OPSET, nodes: graph.nodeCount },
    parity,
    timing: { convertSeconds, parity: { tfjsSeconds: run.seconds.tfjs, onnxSeconds: run.seconds.onnx }, totalSeconds: (performance.now() - t0) / 1000 },
  };
}

function checkedOptions(opts: ExportOptions): { count: number; tolerance: ParityTolerance } {
  const format = opts.format ?? 'onnx';
  if (!EXPORT_FORMATS.includes(format)) throw new MadenetError('E_USAGE', `--format ${String(format)} is not supported; expected one of ${EXPORT_FORMATS.join(', ')}.`);
  const count = opts.parityImages ?? DEFAULT_PARITY_IMAGES;
  if (!Number.isInteger(count) || count < 1) throw new MadenetError('E_USAGE', `--parity-images is ${count}; expected an integer >= 1.`);
  const tolerance = { relative: opts.tolerance ?? DEFAULT_PARITY_TOLERANCE.relative };
  if (!(tolerance.relative > 0 && tolerance.relative < 1)) throw new MadenetError('E_USAGE', `--tolerance is ${tolerance.relative}; expected a number in (0, 1).`);
  return { count, tolerance };
}

/** Runs the tfjs model and the ONNX bytes on the same inputs, the classifier or the submodel way. */
async function runParity(source: LoadedArtifact, bytes: Uint8Array, imageSize: number, inputs: ParityInputs, tolerance: ParityTolerance, threads: { threads?: number }): Promise<ParityRun> {
  const { kind, category } = source.manifest;
  if (kind === CLASSIFIER_KIND) {
    const tfjs = tfjsAsyncClassifier(await loadClassifierArtifact(source.dir));
    const onnx = await onnxClassifierFromBytes(bytes, { categories: tfjs.categories, imageSize }, threads);
    try {
      return await classifierParity(tfjs, onnx, inputs, tolerance);
    } finally {
      tfjs.dispose();
      onnx.dispose();
    }
  }
  const tfjs = tfjsAsyncDetector(await loadDetector(source.dir));
  const onnx = await onnxDetectorFromBytes(bytes, { kind: kind as SubmodelKind, category, imageSize, artifactDir: null }, threads);
  try {
    return await detectorParity(tfjs, onnx, inputs, tolerance);
  } finally {
    tfjs.dispose();
    onnx.dispose();
  }
}

function parityFailure(dir: string, parity: ParityReport, relative: number): MadenetError {
  return new MadenetError(
    'E_PARITY',
    `ONNX export of ${dir} disagrees with tfjs on ${parity.images} images: max |score diff| ${parity.maxAbsScore.toExponential(3)} (scale ${parity.scoreScale.toExponential(3)})` +
      `${parity.maxAbsMap === null ? '' : `, max |map diff| ${parity.maxAbsMap.toExponential(3)} (scale ${(parity.mapScale ?? 0).toExponential(3)})`}; ` +
      `expected at most ${relative} x max(1, scale). Nothing was written.`,
    { suggestions: ['Report this with the artifact: an exported operator does not match tfjs.', 'A looser --tolerance accepts larger differences (at your own risk).'] },
  );
}

/** A new version of the source's series: the same model and files (less an older model.onnx), plus model.onnx. */
async function writeExportedVersion(source: LoadedArtifact, bytes: Uint8Array, record: OnnxRecord, parityRuntime: Record<string, unknown>, backend: string): Promise<ArtifactRef> {
  const { kind, category, version } = source.manifest;
  const models: Record<string, Awaited<ReturnType<LoadedArtifact['modelArtifacts']>>> = {};
  for (const name of source.manifest.models) models[name] = await source.modelArtifacts(name);
  const previous = readOnnxRecord(source.manifest.metrics, source.dir);
  const skip = modelFileNames(source.manifest.models);
  if (previous) skip.add(previous.file);
  const files: Record<string, Buffer> = {};
  for (const name of Object.keys(source.manifest.files).sort()) if (!skip.has(name)) files[name] = await source.readFile(name);
  files[ONNX_FILE] = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return writeArtifact({
    root: resolve(source.dir, '..', '..', '..'),
    kind,
    category,
    config: source.manifest.config,
    seed: source.manifest.seed,
    ...(source.manifest.datasetFingerprint === null ? {} : { datasetFingerprint: source.manifest.datasetFingerprint }),
    metrics: { ...source.manifest.metrics, onnx: record },
    parents: [{ kind, category, version }],
    runtime: { exportedFrom: source.manifest.runtime ?? null, parity: parityRuntime },
    backend: source.manifest.backend ?? backend,
    models,
    files,
  });
}
