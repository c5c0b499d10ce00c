// `madenet weights import`: reads a torchvision/timm state dict (safetensors, or a PyTorch .pth zip read by the
// restricted unpickler), maps it onto our backbone of --arch
// and saves it as a backbone/<arch>/vNNNN artifact. Knows nothing of flags or printing.
import { basename, resolve } from 'node:path';
import { buildBackbone, IMPORTABLE_ARCHS, isImportableArch, weightsSourceOf, type ImportableArch } from '../../models/components/backbone.js';
import { modelArtifactsOf, writeArtifact } from '../artifacts/index.js';
import { sha256File } from '../artifacts/files.js';
import { MadenetError } from '../core/errors.js';
import { openSafetensorsFile, type NamedTensor } from '../weights/safetensors.js';
import { readTorchStateDict, torchFileFormat } from '../weights/torch-pth.js';
import { loadTorchWeights } from '../weights/torch-mapping.js';

export interface WeightsImportOptions {
  file: string;
  arch: string;
  /** Artifact root; the backbone lands in <out>/backbone/<arch>/vNNNN. */
  out: string;
  seed: number;
  runtime?: unknown;
  backend?: string;
}

export interface WeightsImportResult {
  arch: ImportableArch;
  /** File format: safetensors, or a torch.save file (.pth/.pt, zip or legacy) read without running its pickle. */
  format: 'safetensors' | 'pytorch';
  /** Naming convention the file was read with. */
  source: 'torchvision' | 'timm';
  file: string;
  sha256: string;
  artifact: { kind: string; category: string; version: number; dir: string };
  /** File tensors loaded into the backbone. */
  tensors: number;
  /** File tensors deliberately left out (classifier head, BN step counters). */
  ignored: string[];
  /** Removed from every key because the file was saved from a wrapped model (e.g. "module."). */
  strippedPrefix: string | null;
  parameters: number;
}

/** DataParallel / Lightning wrappers prefix every key; strip a prefix shared by all keys. */
function stripWrapperPrefix(tensors: Map<string, NamedTensor>): { tensors: Map<string, NamedTensor>; prefix: string | null } {
  for (const prefix of ['module.', 'model.', 'backbone.']) {
    const keys = [...tensors.keys()];
    if (keys.length > 0 && keys.every((k) => k.startsWith(prefix))) {
      return { tensors: new Map(keys.map((k) => [k.slice(prefix.length), tensors.get(k) as NamedTensor])), prefix };
    }
  }
  return { tensors, prefix: null };
}

export async function weightsImport(opts: WeightsImportOptions): Promise<WeightsImportResult> {
  if (!isImportableArch(opts.arch)) {
    throw new MadenetError('E_USAGE', `Unknown --arch ${opts.arch}; expected one of ${IMPORTABLE_ARCHS.join(', ')}.`);
  }
  const arch = opts.arch;
  const file = resolve(opts.file);
  // A zip, torch's legacy magic or any other pickle goes to the .pth reader (which refuses a plain pickle by name).
  const format = (await torchFileFormat(file)) !== null ? 'pytorch' : 'safetensors';
  // Streamed either way: safetensors' header is checked first (depth, entries, offsets, no trailing bytes), then only
  // the tensors the backbone uses are read, each checked for NaN/Inf; a .pth is read entry by entry through the
  // restricted unpickler. A hostile file cannot make this hold more than the backbone.
  const st = format === 'safetensors' ? await openSafetensorsFile(file) : null;
  const raw: Map<string, NamedTensor> = st ? st.tensors : await readTorchStateDict(file);
  // Placeholder zeros: every weight is overwritten by the import.
  const backbone = buildBackbone(arch, { seed: null });
  try {
    const { tensors, prefix } = stripWrapperPrefix(raw);
    const ignored = loadTorchWeights(arch, tensors, backbone);
    const digest = (await sha256File(file, { what: 'weights file' })).sha256;
    const ref = await writeArtifact({
      root: opts.out,
      kind: 'backbone',
      category: arch,
      config: { arch, source: weightsSourceOf(arch), format, file: basename(file), sha256: digest, strippedPrefix: prefix, ignored },
      seed: opts.seed,
      runtime: opts.runtime,
      backend: opts.backend,
      models: { model: await modelArtifactsOf(backbone) },
    });
    return {
      arch,
      format,
      source: weightsSourceOf(arch),
      file,
      sha256: digest,
      artifact: { kind: ref.kind, category: ref.category, version: ref.version, dir: ref.dir },
      tensors: tensors.size - ignored.length,
      ignored,
      strippedPrefix: prefix,
      parameters: backbone.countParams(),
    };
  } finally {
    backbone.dispose();
    await st?.close();
  }
}
