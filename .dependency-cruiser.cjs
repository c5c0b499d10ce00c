// Layer rules for src/ (checked by `npm run lint:layers` and by test/layers.test.ts inside `npm test`, which also
// runs them on a temp tree that breaks each rule once). Arrows point down only: commands -> pipeline -> models ->
// pipeline/core; the ground floor imports nothing of ours. See "Architecture" in README.md.

const FS = '^(node:)?fs(/promises)?$';
const npm = (names) => `(^|/)node_modules/(${names})/`;
const NPM_TYPES = ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'];

/** Every rule is an error: a warning nobody reads would let the arrows drift. */
const rule = (name, comment, from, to) => ({ name, severity: 'error', comment, from, to });

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    rule('no-circular', 'A cycle means two modules are really one, or a shared piece wants its own module.', { path: '^src/' }, { circular: true }),
    rule('core-imports-nothing-of-ours', 'src/pipeline/core is the ground floor (errors, random, kinds): nothing of ours below it.',
      { path: '^src/pipeline/core/' }, { path: '^src/', pathNot: '^src/pipeline/core/' }),
    rule('core-no-heavy-packages', 'The ground floor stays loadable anywhere: no filesystem, image codec, CLI framework or tensors.',
      { path: '^src/pipeline/core/' }, { path: `${npm('sharp|@oclif|@tensorflow')}|${FS}` }),
    rule('models-only-models-and-core', 'Tensor code (src/models) may import only src/models and src/pipeline/core among our modules.',
      { path: '^src/models/' }, { path: '^src/', pathNot: '^src/(models|pipeline/core)/' }),
    rule('models-no-fs-sharp-oclif', "Tensor code never touches the filesystem, sharp or oclif: loading and saving is the pipeline's job.",
      { path: '^src/models/' }, { path: `${npm('sharp|@oclif')}|${FS}` }),
    rule('models-npm-only-tensorflow', "The only packages tensor code needs are TensorFlow.js's; anything else belongs in the pipeline.",
      { path: '^src/models/' }, { dependencyTypes: NPM_TYPES, pathNot: npm('@tensorflow') }),
    // A submodel's network (src/pipeline/submodels/<kind>/model) is tensor code like src/models: TensorFlow.js, the
    // shared building blocks, the ground floor and its own model folder, nothing else ($1 is the kind the path matched).
    rule('submodel-model-tfjs-only', "A submodel's model/ folder may import only src/models, src/pipeline/core and its own model/ folder.",
      { path: '^src/pipeline/submodels/([^/]+)/model/' },
      { path: '^src/', pathNot: '^src/(models|pipeline/core|pipeline/submodels/$1/model)/' }),
    rule('submodel-model-no-fs-sharp-oclif', "A submodel's network never touches the filesystem, sharp or oclif.",
      { path: '^src/pipeline/submodels/[^/]+/model/' }, { path: `${npm('sharp|@oclif')}|${FS}` }),
    rule('submodel-model-npm-only-tensorflow', "A submodel's network needs no package but TensorFlow.js's.",
      { path: '^src/pipeline/submodels/[^/]+/model/' }, { dependencyTypes: NPM_TYPES, pathNot: npm('@tensorflow') }),
    // Platform (files, runtime, artifacts, engines) sits under the domain: it knows no submodel, workflow, perfmap
    // or router. engines/bench builds one network of each kind for `doctor --bench`, so it is the domain's, not the platform's.
    rule('platform-not-domain', 'io, runtime, artifacts and engines must not import submodels, services, perfmap or infer routing.',
      { path: '^src/pipeline/(io|runtime|artifacts|engines)/', pathNot: '^src/pipeline/engines/bench/' },
      { path: '^src/pipeline/(submodels|services|perfmap|infer/(?!classifier-contract))' }),
    rule('services-are-workflows', 'Workflows (services) are composed by commands and other workflows only; domain code never calls up into them.',
      { path: '^src/pipeline/', pathNot: '^src/pipeline/services/' }, { path: '^src/pipeline/services/' }),
    rule('pipeline-not-commands', 'The machinery knows nothing of commands and flags; commands compose it.', { path: '^src/pipeline/' }, { path: '^src/commands/' }),
    rule('nothing-imports-commands', 'Only oclif loads a command (oclif.manifest.json); shared command code belongs in src/pipeline/cli.',
      { path: '^src/' }, { path: '^src/commands/' }),
    rule('not-to-unresolvable', 'An import the cruiser cannot resolve would hide its arrow from every other rule.', { path: '^src/' }, { couldNotResolve: true }),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
