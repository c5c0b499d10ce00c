// THE list of submodel kinds. Everything that loads, routes, exports, fine-tunes or validates a kind asks here;
// adding a submodel is one folder beside this file and one line below. Tests may register more (register()).
import { MadenetError } from '../core/errors.js';
import { isKindShaped } from '../core/submodel-kinds.js';
import type { Submodel } from './contract.js';
import { lpd } from './lpd/index.js';
import { patchcore } from './patchcore/index.js';
import { sfad } from './sfad/index.js';
import { srad } from './srad/index.js';

const submodels = new Map<string, Submodel>();

/** Adds a kind (the built-in ones below; a plug-in or a test's). A kind registered twice is refused. */
export function registerSubmodel(submodel: Submodel): void {
  if (!isKindShaped(submodel.kind)) {
    throw new MadenetError('E_USAGE', `Submodel kind ${JSON.stringify(submodel.kind)} is not a kind name; expected lowercase letters, digits and dashes.`);
  }
  if (submodels.has(submodel.kind)) throw new MadenetError('E_USAGE', `Submodel kind '${submodel.kind}' is registered already.`);
  submodels.set(submodel.kind, submodel);
}

/** Removes a kind registered by registerSubmodel (tests clean up after themselves). */
export function unregisterSubmodel(kind: string): void {
  submodels.delete(kind);
}

[srad, sfad, lpd, patchcore].forEach(registerSubmodel);

/** The kinds in registration order (srad, sfad, lpd, patchcore, then any registered later). */
export function submodelKinds(): string[] {
  return [...submodels.keys()];
}

export function isSubmodelKind(kind: unknown): kind is string {
  return typeof kind === 'string' && submodels.has(kind);
}

/** The submodel of `kind`, or undefined: callers raise their own error, with their own code and wording. */
export function findSubmodel(kind: string): Submodel | undefined {
  return submodels.get(kind);
}

export function listSubmodels(): Submodel[] {
  return [...submodels.values()];
}
