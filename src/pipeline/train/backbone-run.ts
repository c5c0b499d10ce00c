// How SFAD and LPD runs start: the train split, then the backbone (--backbone: random, an imported one or an LPD
// artifact) their network is built on. The backbone is disposed when the run ends, by the network that took it
// over or, if none was built, on its own.
import type { OpenContext } from './workflow.js';
import { trainSplit } from './workflow.js';
import { loadBackbone, type BackboneSource } from '../weights/backbone-source.js';
import type { TileSpec } from '../io/tiles.js';

export interface BackboneRunSettings {
  valFraction: number;
  backboneSpec: string;
  /** The preset's architecture (for `random`) and input side. */
  base: { backbone: string; imageSize: number };
  overrides: { imageSize?: number };
}

/** What loads the backbone: loadBackbone (a ResNet) unless the submodel takes others (SFAD: packaged networks too). */
export type BackboneLoader<S extends { backbone: { dispose(): void } }> = (spec: string, req: { arch: string; seed: number; inputSize: number }) => Promise<S>;

/** `owner()`: the network built on the backbone, once there is one (it disposes the backbone with itself). */
export async function splitWithBackbone<S extends { backbone: { dispose(): void } } = BackboneSource>(
  opts: { data: string; category: string; seed: number; tile?: TileSpec | null },
  s: BackboneRunSettings,
  ctx: OpenContext,
  owner: () => { dispose(): void } | null,
  load: BackboneLoader<S> = loadBackbone as unknown as BackboneLoader<S>,
): Promise<Awaited<ReturnType<typeof trainSplit>> & { source: S }> {
  const split = await trainSplit(opts, s.valFraction);
  const source = await load(s.backboneSpec, { arch: s.base.backbone, seed: opts.seed, inputSize: s.overrides.imageSize ?? s.base.imageSize });
  ctx.defer(() => (owner() ?? source.backbone).dispose());
  return { ...split, source };
}
