import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../pipeline/cli/base-command.js';
import { runtimeFlags, seedFlag } from '../../pipeline/cli/flags.js';
import { IMPORTABLE_ARCHS } from '../../models/components/backbone.js';
import { initRuntime, type BackendRequest } from '../../pipeline/runtime/backend.js';
import { weightsImport, type WeightsImportResult } from '../../pipeline/services/weights-import.js';

export default class WeightsImport extends BaseCommand {
  static override summary = 'Import pretrained weights from a safetensors or PyTorch .pth file into a backbone artifact.';
  static override description =
    'Reads a state dict (safetensors, or a PyTorch .pth/.pt saved by torch.save >= 1.6, read by a restricted unpickler ' +
    'that rebuilds tensors only and refuses any other global with E_UNSAFE_PICKLE) with torchvision (ResNets) or timm (EfficientNet, HRNet) parameter names, ' +
    'transposes it into our layers (OIHW -> HWIO, BN running stats) and saves <out>/backbone/<arch>/vNNNN, which ' +
    "any model's --backbone flag accepts. Missing, unexpected or mis-shaped tensors are listed in the error. " +
    'See the README (weights section) for producing the file with torchvision on a connected machine.';
  static override examples = [
    '<%= config.bin %> weights import resnet18.safetensors --arch resnet18 --out ./artifacts',
    '<%= config.bin %> weights import resnet18-f37072fd.pth --arch resnet18 --out ./artifacts',
    '<%= config.bin %> weights import wide_resnet50_2.safetensors --arch wide_resnet50_2 --out ./artifacts --json',
  ];
  static override args = {
    file: Args.string({ description: 'The .safetensors or .pth file (a PyTorch state dict).', required: true }),
  };
  static override flags = {
    ...runtimeFlags,
    ...seedFlag,
    arch: Flags.string({ description: 'Architecture the weights belong to.', required: true, options: [...IMPORTABLE_ARCHS] }),
    out: Flags.string({ char: 'o', description: 'Artifact root; the backbone is saved to <out>/backbone/<arch>/vNNNN.', required: true }),
  };

  async run(): Promise<WeightsImportResult> {
    const { args, flags } = await this.parse(WeightsImport);
    const runtime = await initRuntime({ backend: flags.backend as BackendRequest, threads: flags.threads });
    const result = await weightsImport({ file: args.file, arch: flags.arch, out: flags.out, seed: flags.seed, runtime, backend: runtime.backend });
    this.say(`Imported ${result.tensors} tensors (${result.format}, ${result.source} names) into ${result.arch}: ${result.artifact.dir}`);
    if (result.ignored.length > 0) this.note(`Left out ${result.ignored.length} tensors with no place in a backbone (e.g. ${result.ignored.slice(0, 3).join(', ')}).`);
    if (result.strippedPrefix) this.note(`Stripped the "${result.strippedPrefix}" prefix shared by every key.`);
    return result;
  }
}
