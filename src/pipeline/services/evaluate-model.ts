// `madenet evaluate --model`: runs the infer service on the test split with one submodel artifact (through a
// one-model performance map built on validation data, so its threshold is chosen as in production) or with a
// whole performance map, and returns the predictions directory for `evaluate` to score.
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { loadArtifact } from '../artifacts/index.js';
import { MadenetError } from '../core/errors.js';
import { isSubmodelKind, submodelKinds } from '../submodels/registry.js';
import { loadDataset, samplesOf } from '../io/dataset.js';
import type { BackendRequest } from '../runtime/backend.js';
import { buildPerfmap } from './build-perfmap.js';
import { infer, type InferResult } from './infer.js';

export interface InferForEvaluationOptions {
  model: string;
  data: string;
  categories?: string[];
  /** Working directory for the perfmap and predictions. */
  out: string;
  backend?: BackendRequest;
  threads?: number;
  /** Images per forward pass (perfmap validation and inference); default the services' own (8). */
  batchSize?: number;
}

export interface InferForEvaluationResult {
  predictions: string;
  perfmap: string;
  infer: InferResult;
}

export async function inferForEvaluation(opts: InferForEvaluationOptions): Promise<InferForEvaluationResult> {
  const artifact = await loadArtifact(opts.model);
  const kind = artifact.manifest.kind;
  const out = resolve(opts.out);
  let perfmapDir: string;
  let categories: string[];
  if (kind === 'perfmap') {
    perfmapDir = artifact.dir;
    categories = opts.categories ?? [];
  } else if (isSubmodelKind(kind)) {
    categories = [artifact.manifest.category];
    const built = await buildPerfmap({
      data: opts.data,
      models: [artifact.dir],
      lambda: 0.5,
      // The trainer's seed reproduces its hold-out, so validation stays on images it did not train on.
      seed: artifact.manifest.seed,
      out: join(out, 'artifacts'),
      categories,
      backend: opts.backend,
      threads: opts.threads,
      ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
    });
    perfmapDir = built.artifact.dir;
  } else {
    throw new MadenetError('E_ARTIFACT', `--model ${artifact.dir} is a '${kind}' artifact; expected a submodel (${submodelKinds().join(', ')}) or a perfmap.`);
  }

  const dataset = await loadDataset(opts.data, categories.length > 0 ? { categories } : undefined);
  const tests = samplesOf(dataset, { split: 'test' });
  if (tests.length === 0) throw new MadenetError('E_NO_IMAGES', `No test images in ${opts.data}${categories.length ? ` for ${categories.join(', ')}` : ''}; expected <category>/test/<type>/*.`);
  // Cross-category runs leave routing to the perfmap's classifier; a one-model run knows its category.
  const lines = tests.map((s) => (kind === 'perfmap' ? `${s.path}\n` : `${s.path}\t${s.category}\n`));
  const predictions = join(out, 'predictions');
  const result = await infer({
    perfmap: perfmapDir,
    input: '-',
    stdin: Readable.from(lines),
    out: predictions,
    saveMaps: true,
    backend: opts.backend,
    threads: opts.threads,
    ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
  });
  return { predictions, perfmap: perfmapDir, infer: result };
}
