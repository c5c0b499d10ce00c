// The engine benchmark's list of project submodels (one training step and one inference batch of each small
// preset). Empty until the models land: the lead fills it; each entry owns building and disposing its model.

export interface SubmodelBenchCase {
  /** Timed synchronously or awaited; one optimiser step on one batch of the small preset. */
  trainStep(): unknown;
  /** One inference batch of the small preset. */
  inferBatch(): unknown;
  dispose(): void;
}

export interface SubmodelBenchHook {
  /** e.g. 'srad-small'. */
  name: string;
  /** Builds the small preset with seeded weights and a seeded batch on the active backend. */
  create(seed: number): Promise<SubmodelBenchCase> | SubmodelBenchCase;
}

/**
 * LEAD: add one hook per submodel here (SRAD, SFAD, LPD, ISM classifier), importing their small presets, e.g.
 *   { name: 'srad-small', create: (seed) => sradBenchCase(seed) },
 * The benchmark reports each as submodels[name] = { trainStepMs, inferMs } on every backend.
 */
export const SUBMODEL_BENCH_HOOKS: SubmodelBenchHook[] = [];
