// `madenet train-patchcore`: one backbone (train-patchcore-bank.ts) or, when the backbone id joins several with '+',
// an ensemble of them (train-patchcore-ensemble.ts). This module only dispatches, so that neither of the two
// imports the other's caller (no cycle); everything of the single bank is re-exported from here.
import { checkSegment } from '../artifacts/files.js';
import { MadenetError } from '../core/errors.js';
import { PATCHCORE_DEFAULTS } from '../submodels/patchcore/model/config.js';
import { buildPatchcore, PATCHCORE_DEFAULT_BACKBONE, type PatchcoreMemberSettings, type TrainPatchcoreOptions, type TrainPatchcoreResult } from './train-patchcore-bank.js';
import { trainPatchcoreEnsemble } from './train-patchcore-ensemble.js';

export * from './train-patchcore-bank.js';

/**
 * The backbone train-patchcore uses when none is given: the ensemble, or with tiles the single MobileNetV2 (tiled
 * training takes one backbone: the ensemble's validation and artifact are whole-image).
 */
export function defaultPatchcoreBackbone(tiled: boolean): string {
  return tiled ? PATCHCORE_DEFAULTS.backbone : PATCHCORE_DEFAULT_BACKBONE;
}

/**
 * train-patchcore: one backbone, or an ensemble when the backbone id joins several with '+' (e.g.
 * npm:nsfwjs/mobilenet_v2+npm:nsfwjs/inception_v3; train-patchcore-ensemble.ts): then the members are written
 * first, the ensemble last (LATEST), and the result is the ensemble's with `members` added.
 */
export async function trainPatchcore(opts: TrainPatchcoreOptions & { members?: readonly PatchcoreMemberSettings[] }): Promise<TrainPatchcoreResult & { members?: TrainPatchcoreResult[] }> {
  // The category names the artifact folder; a name that cannot be one ("a/b" from a manifest) fails now, not when
  // the bank is saved after every feature has been computed.
  checkSegment('category', opts.category);
  const backbone = opts.backbone ?? defaultPatchcoreBackbone(Boolean(opts.tile));
  if ((opts.members?.length ?? 0) > 1 || backbone.includes('+')) {
    if (opts.tile) throw new MadenetError('E_USAGE', `--backbone is '${backbone}' with --tile ${opts.tile.tile}: a PatchCore ensemble trains on whole images only; expected one backbone with --tile (default ${PATCHCORE_DEFAULTS.backbone}).`);
    return trainPatchcoreEnsemble(opts);
  }
  const built = await buildPatchcore({ ...opts, backbone });
  await built.release();
  return built.result;
}

