// What a submodel kind looks like. The kinds themselves are listed once, by the registry
// (src/pipeline/submodels/registry.ts); layers below it that store or read a kind (the predictions format) only
// check its shape, since they cannot know which kinds are registered.

/** A registered submodel's kind ('srad', 'patchcore', or one a plug-in adds). */
export type SubmodelKind = string;

const KIND_SHAPE = /^[a-z][a-z0-9-]{0,31}$/;

/** Lowercase letters, digits and dashes, starting with a letter, at most 32 characters. */
export function isKindShaped(value: unknown): value is SubmodelKind {
  return typeof value === 'string' && KIND_SHAPE.test(value);
}
