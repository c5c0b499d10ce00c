// Layer rules for src/ (checked by `npm run lint:layers` and by test/layers.test.ts inside `npm test`).
// Arrows point down only: commands -> pipeline -> models -> pipeline/core; the ground floor imports nothing
// of ours. See "Architecture" in README.md. The test reuses `forbidden` on a temp tree, so keep it pure data.

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means two modules are really one, or a shared piece wants its own module.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-imports-nothing-of-ours',
      severity: 'error',
      comment: 'src/pipeline/core is the ground floor (errors, random, tiny utils): nothing of ours below it.',
      from: { path: '^src/pipeline/core/' },
      to: { path: '^src/', pathNot: '^src/pipeline/core/' },
    },
    {
      name: 'core-no-heavy-packages',
      severity: 'error',
      comment: 'The ground floor stays loadable anywhere: no filesystem, image codec, CLI framework or tensors.',
      from: { path: '^src/pipeline/core/' },
      to: { path: '(^|/)node_modules/(sharp|@oclif|@tensorflow)/|^(node:)?fs(/promises)?$' },
    },
    {
      name: 'models-only-models-and-core',
      severity: 'error',
      comment: 'Tensor code (src/models) may import only src/models and src/pipeline/core among our modules.',
      from: { path: '^src/models/' },
      to: { path: '^src/', pathNot: '^src/(models|pipeline/core)/' },
    },
    {
      name: 'models-no-fs-sharp-oclif',
      severity: 'error',
      comment: 'Tensor code never touches the filesystem, sharp or oclif: loading and saving is the pipeline\'s job.',
      from: { path: '^src/models/' },
      to: { path: '(^|/)node_modules/(sharp|@oclif)/|^(node:)?fs(/promises)?$' },
    },
    {
      name: 'models-npm-only-tensorflow',
      severity: 'error',
      comment: 'The only packages tensor code needs are TensorFlow.js\'s; anything else belongs in the pipeline.',
      from: { path: '^src/models/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'], pathNot: '(^|/)node_modules/@tensorflow/' },
    },
    {
      name: 'pipeline-not-commands',
      severity: 'error',
      comment: 'The machinery knows nothing of commands and flags; commands compose it.',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/commands/' },
    },
    {
      name: 'nothing-imports-commands',
      severity: 'error',
      comment: 'Only oclif loads a command (from oclif.manifest.json); shared command code belongs in src/pipeline/cli.',
      from: { path: '^src/' },
      to: { path: '^src/commands/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import the cruiser cannot resolve would hide its arrow from every other rule.',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
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
