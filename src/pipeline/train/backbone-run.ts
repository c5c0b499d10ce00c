// How SFAD and LPD runs start: the train split, then the backbone (--backbone: random, an imported one or an LPD
// artifact) their network is built on. The backbone is disposed when the run ends, by the network that took it
// over or, if none was built, on its own.
import type { OpenContext } from './workflow.js';
import { trainSplit } from './workflow.js';
import { loadBackbone, type BackboneSource } from '../weights/backbone-source.js';

export interface BackboneRunSettings {
  valFraction: number;
  backboneSpec: string;
  /** The preset's architecture (for `random`) and input side. */
  base: { backbone: string; imageSize: number };
  overrides: { imageSize?: number };
}

/** `owner()`: the network built on the backbone, once there is one (it disposes the backbone with itself). */
export async function splitWithBackbone(
  opts: { data: string; category: string; seed: number },
  s: BackboneRunSettings,
  ctx: OpenContext,
  owner: () => { dispose(): void } | null,
): Promise<Awaited<ReturnType<typeof trainSplit>> & { source: BackboneSource }> {
  const split = await trainSplit(opts, s.valFraction);
  const source = await loadBackbone(s.backboneSpec, { arch: s.base.backbone, seed: opts.seed, inputSize: s.overrides.imageSize ?? s.base.imageSize });
  ctx.defer(() => (owner() ?? source.backbone).dispose());
  return { ...split, source };
}
