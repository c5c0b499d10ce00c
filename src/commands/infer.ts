// `madenet infer`: flags -> services/infer.ts -> a summary with throughput and stage times (or the JSON
// result). SIGINT/SIGTERM stop reading input; work in hand is written, and --resume continues later.
import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { runtimeFlags, shown, TILE_DESCRIPTION_PREFIX, TILE_OVERLAP_DESCRIPTION } from '../pipeline/cli/flags.js';
import { createProgress } from '../pipeline/cli/progress.js';
import type { SubmodelKind } from '../pipeline/detectors/detector.js';
import { DEFAULT_FALLBACK } from '../pipeline/infer/route.js';
import { parseShard } from '../pipeline/infer/shard.js';
import { listSubmodels } from '../pipeline/submodels/registry.js';
import type { BackendRequest } from '../pipeline/runtime/backend.js';
import { ENGINE_REQUESTS, type EngineRequest } from '../pipeline/engines/engine-choice.js';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from '../pipeline/engines/execution-provider.js';
import { infer, type InferResult } from '../pipeline/services/infer.js';

export default class Infer extends BaseCommand {
  static override summary = 'Batch inference: classify each image, route it to the chosen submodel and write predictions.jsonl.';
  static override description =
    'Each image goes to its category\'s chosen submodel when the classifier is at least --min-confidence sure, else to the ' +
    '--fallback submodel; --assume-category (or PATH<TAB>CATEGORY lines on stdin) skips the classifier. Lines are appended to ' +
    '<out>/predictions.jsonl as images finish (with --save-maps .npy maps, with --save-overlays heatmap PNGs). One run per ' +
    '--out at a time (lock); --resume skips images already there; --shard K/N takes every N-th image from K, for parallel ' +
    'runs joined by `madenet infer merge`. Exit status: 0 done, 1 failed, 3 with --fail-on-anomaly when an image is anomalous, ' +
    '130 when interrupted.';
  static override examples = [
    '<%= config.bin %> infer --perfmap ./artifacts/perfmap/all --input "images/**/*.png" --out ./predictions',
    'find new -name "*.png" | <%= config.bin %> infer --perfmap ./artifacts/perfmap/all --input - --out ./predictions --resume --fail-on-anomaly',
    '<%= config.bin %> infer --perfmap ./artifacts/perfmap/all --input ./images --out ./out/shard-$SLURM_ARRAY_TASK_ID --shard $SLURM_ARRAY_TASK_ID/8 --resume',
    '<%= config.bin %> infer --perfmap ./artifacts/perfmap/all --input ./board-5mp --category PCB --tile 512 --tile-overlap 0.25 --save-maps --out ./predictions',
  ];
  static override flags = {
    ...runtimeFlags,
    engine: Flags.string({
      description: 'Inference engine: auto runs onnxruntime for artifacts with a parity-checked ONNX export (`madenet export`) when onnxruntime-node is installed, tfjs otherwise; for PatchCore (no export) it picks what runs the frozen backbone (onnx: must be onnxruntime; the kNN stays tfjs).',
      options: [...ENGINE_REQUESTS],
      env: 'MADENET_ENGINE',
      default: 'auto',
    }),
    'execution-provider': Flags.string({
      description:
        'onnxruntime execution provider for --engine onnx/auto: cuda (NVIDIA, CUDA 12 + cuDNN 9) or webgpu (any GPU with a Vulkan driver) runs on the GPU ' +
        '(ops it lacks stay on the CPU) and fails with E_EXECUTION_PROVIDER when the provider, its driver or libraries (cuda: ONNXRUNTIME_NODE_INSTALL=cuda12) are missing ' +
        'or a model has no ONNX export; it never falls back to the CPU.',
      options: [...EXECUTION_PROVIDERS],
      env: 'MADENET_EXECUTION_PROVIDER',
      default: 'cpu',
    }),
    perfmap: Flags.string({ description: 'Performance map artifact from build-perfmap (a vNNNN directory, or <root>/perfmap/all for its LATEST).', required: true }),
    input: Flags.string({ char: 'i', description: 'Glob, directory, image file, or - for a list of paths on stdin (PATH or PATH<TAB>CATEGORY per line).', required: true }),
    out: Flags.string({ char: 'o', description: 'Output directory for predictions.jsonl, infer.json, maps/ and overlays/.', required: true }),
    'min-confidence': Flags.string({ description: 'Classifier confidence needed to use the category\'s chosen submodel.', default: '0.85' }),
    fallback: Flags.string({ description: 'Submodel used when the classifier is less confident.', options: listSubmodels().filter((s) => s.fallback).map((s) => s.kind), default: DEFAULT_FALLBACK }),
    'assume-category': Flags.string({
      description: 'Every image is of this category: the classifier is not run (was --category, which now always selects categories).',
      aliases: ['category'],
      defaultHelp: shown('the classifier decides'),
    }),
    'save-maps': Flags.boolean({ description: 'Write each anomaly map as maps/<name>.npy ([H,W] float32).' }),
    'save-overlays': Flags.boolean({ description: 'Write a heatmap overlay per image as overlays/<name>.png.' }),
    resume: Flags.boolean({ description: 'Continue an earlier run into --out: skip images already in predictions.jsonl.' }),
    shard: Flags.string({ description: 'Process only shard K of N (0-based), e.g. 3/8: image i of the sorted input goes to shard i mod N.' }),
    'fail-on-anomaly': Flags.boolean({ description: 'Exit with status 3 when any image predicted in this run is anomalous.' }),
    'skip-bad-images': Flags.boolean({ description: 'Skip images that cannot be read or routed (listed in the result) instead of failing.' }),
    'batch-size': Flags.integer({ description: 'Images per forward pass (per routed submodel).', default: 8, min: 1 }),
    tile: Flags.integer({
      description: `${TILE_DESCRIPTION_PREFIX}: score by them, any submodel; the map is stitched, the score is the highest tile score. 0 = whole image.`,
      defaultHelp: shown('the model\'s: its train --tile and --tile-overlap, else 0'),
      min: 0,
    }),
    'tile-overlap': Flags.string({ description: TILE_OVERLAP_DESCRIPTION, default: '0.25' }),
    concurrency: Flags.integer({ description: 'Images decoded at once.', defaultHelp: shown('min(4, cores)'), min: 1 }),
    'max-models': Flags.integer({ description: 'Submodels kept loaded at once.', default: 8, min: 1 }),
  };

  async run(): Promise<InferResult> {
    const { flags } = await this.parse(Infer);
    // A bar with a total for a glob or directory (known once listed); a plain counter for a stream on stdin.
    const progress = createProgress({ label: 'infer', json: this.jsonEnabled(), unit: 'img', fields: ['skipped'] });
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let result: InferResult;
    try {
      result = await infer({
        perfmap: flags.perfmap,
        input: flags.input,
        out: flags.out,
        minConfidence: Number(flags['min-confidence']),
        fallback: flags.fallback as SubmodelKind,
        ...(flags['assume-category'] ? { category: flags['assume-category'] } : {}),
        saveMaps: flags['save-maps'],
        saveOverlays: flags['save-overlays'],
        resume: flags.resume,
        shard: flags.shard ? parseShard(flags.shard) : null,
        skipBadImages: flags['skip-bad-images'],
        batchSize: flags['batch-size'],
        ...(flags.tile !== undefined ? { tile: flags.tile, tileOverlap: Number(flags['tile-overlap']) } : {}),
        ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
        maxModels: flags['max-models'],
        backend: flags.backend as BackendRequest,
        engine: flags.engine as EngineRequest,
        executionProvider: flags['execution-provider'] as ExecutionProvider,
        threads: flags.threads,
        signal: abort.signal,
        onSkip: (path, error) => progress.log(`skipped ${path}: ${error.message}`),
        onTotal: (n) => progress.setTotal(n),
        onProgress: (done, skipped, passed) => progress.update(done + skipped + passed, { skipped: skipped > 0 ? String(skipped) : '' }),
      });
    } finally {
      progress.stop();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    const { images, timing: t } = result;
    const s = (v: number): string => `${v.toFixed(2)} s`;
    this.say(
      `Predicted ${images.predicted} image(s)${images.alreadyDone ? `, ${images.alreadyDone} already done` : ''}${images.skipped ? `, ${images.skipped} skipped` : ''}` +
        `${images.duplicates ? `, ${images.duplicates} duplicate path(s) ignored` : ''}${result.shard ? ` (shard ${result.shard.index}/${result.shard.count})` : ''}.`,
    );
    this.say(`Throughput ${t.imagesPerSecond.toFixed(1)} images/s over ${s(t.wallSeconds)}; busy time: decode ${s(t.stages.decode)}, classify ${s(t.stages.classify)}, score ${s(t.stages.score)}, write ${s(t.stages.write)}, model loading ${s(t.stages.load)}.`);
    const routes = Object.entries(result.routes).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`);
    const models = Object.entries(result.models).filter(([, n]) => n > 0).map(([m, n]) => `${m} ${n}`);
    if (routes.length > 0) this.say(`Routes: ${routes.join(', ')}; models: ${models.join(', ')}.`);
    const engines = result.engine.loaded.map((l) => `${l.engine}${l.executionProviders ? ` on ${l.executionProviders.join('+')}` : ''} (${l.reason})`);
    if (engines.length > 0) this.say(`Engines: ${engines.join('; ')}.`);
    if (images.seen === 0) this.note(`No images in ${flags.input}: nothing to do (exit status 0).`);
    const earlier = result.total.predictions - images.predicted;
    this.say(
      `Anomalous: ${result.anomalies} of ${images.predicted} this run` +
        (earlier > 0 ? `; ${result.total.anomalies} of ${result.total.predictions} in ${result.out} over all runs.` : '.'),
    );
    this.say(`Wrote ${result.predictions} and ${result.predictionsCsv}`);
    if (flags['fail-on-anomaly'] && result.anomalies > 0) {
      this.note(`${result.anomalies} anomalous image(s): exit status 3 (--fail-on-anomaly).`);
      process.exitCode = 3;
    }
    return result;
  }
}
