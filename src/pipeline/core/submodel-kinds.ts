// The names of the submodel kinds, listed once: the registry loads them, perfmaps choose among them, and the
// predictions format (a file, so below the domain layers) validates against them. Names only, no behaviour.

export const SUBMODEL_KINDS = ['srad', 'sfad', 'lpd', 'patchcore'] as const;

export type SubmodelKind = (typeof SUBMODEL_KINDS)[number];

/** Submodels with trained weights that `finetune` continues; PatchCore has none (its bank is rebuilt instead). */
export type FinetunableKind = Exclude<SubmodelKind, 'patchcore'>;
