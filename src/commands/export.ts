// `madenet export`: flags -> services/export.ts -> a summary of the new version and its parity numbers (or the
// JSON result). Fails with E_PARITY, writing nothing, when onnxruntime and tfjs disagree.
import { Flags } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';
import { ARTIFACT_REFERENCE, runtimeFlags, seedFlag, shown } from '../pipeline/cli/flags.js';
import type { BackendRequest } from '../pipeline/runtime/backend.js';
import { EXPORT_FORMATS, exportModel, type ExportFormat, type ExportResult } from '../pipeline/services/export.js';

export default class Export extends BaseCommand {
  static override summary = 'Export a model artifact to ONNX and check parity against TensorFlow.js.';
  static override description =
    'Converts a submodel (srad, sfad, lpd) or classifier artifact, pre- and post-processing included, to one ONNX file ' +
    '(opset 17; input images [N,S,S,3] in [0,1], outputs scores [N] and maps [N,S,S], or probs [N,K]). The file is run in ' +
    'onnxruntime and the model in TensorFlow.js on the same images (rendered demo images, or --parity-input); only when every ' +
    'score and map agrees within --tolerance x max(1, largest value) is a new version of the artifact written: the same ' +
    'model files plus model.onnx, with its sha256 and the parity numbers in manifest.metrics.onnx. `infer --engine auto` ' +
    'then runs it with onnxruntime.';
  static override examples = [
    '<%= config.bin %> export --model ./artifacts/srad/BGA/v0001',
    '<%= config.bin %> export --model ./artifacts/sfad/BGA --parity-input ./data/BGA/test --parity-images 16',
  ];
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    model: Flags.string({ description: `Model artifact to export (${ARTIFACT_REFERENCE}).`, required: true }),
    format: Flags.string({ description: 'Export format.', options: [...EXPORT_FORMATS], default: 'onnx' }),
    'parity-input': Flags.string({ description: 'Images for the parity check (directory, file or glob).', defaultHelp: shown('rendered demo images'), aliases: ['data'] }),
    'parity-images': Flags.integer({ description: 'Images the parity check runs.', default: 8, min: 1 }),
    tolerance: Flags.string({ description: 'Parity tolerance: max |onnx - tfjs| <= tolerance x max(1, largest |tfjs| value), for scores and maps.', default: '1e-4' }),
  };

  async run(): Promise<ExportResult> {
    const { flags } = await this.parse(Export);
    const result = await exportModel({
      model: flags.model,
      format: flags.format as ExportFormat,
      ...(flags['parity-input'] === undefined ? {} : { data: flags['parity-input'] }),
      parityImages: flags['parity-images'],
      tolerance: Number(flags.tolerance),
      seed: flags.seed,
      backend: flags.backend as BackendRequest,
      threads: flags.threads,
      onProgress: (m) => this.note(m),
    });
    const { parity: p, source: s, onnx } = result;
    this.say(`Exported ${s.kind} ${s.category} v${s.version} -> ${result.artifact.dir}`);
    this.say(`  ${onnx.file}: ${(onnx.bytes / 2 ** 20).toFixed(1)} MiB, ${onnx.nodes} nodes, opset ${onnx.opset}, sha256 ${onnx.sha256}`);
    const maps = p.maxAbsMap === null ? '' : `, maps ${p.maxAbsMap.toExponential(2)} (largest |value| ${(p.mapScale ?? 0).toExponential(2)})`;
    this.say(`  parity on ${p.images} ${p.source} images (onnxruntime ${p.onnxruntime} vs tfjs ${p.tfjsBackend}): max |diff| scores ${p.maxAbsScore.toExponential(2)} (largest |value| ${p.scoreScale.toExponential(2)})${maps}; tolerance ${p.tolerance.relative} x max(1, largest) -> passed`);
    const t = result.timing.parity;
    this.say(`  check time: tfjs ${t.tfjsSeconds.toFixed(2)} s, onnxruntime ${t.onnxSeconds.toFixed(2)} s`);
    return result;
  }
}
