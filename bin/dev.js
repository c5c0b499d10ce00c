#!/usr/bin/env node
// Development launcher: runs the TypeScript sources under src/ through tsx; users and CI run bin/run.js.
// oclif loads every command listed in oclif.manifest.json from the compiled path it records (dist/), whenever
// the manifest's version matches the package's before the first '-'. A version that cannot match makes oclif
// skip the manifest and discover the commands in src/ (through tsx); its one mismatch warning is dropped here.
import { register } from 'tsx/esm/api';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

register();
const { execute } = await import('@oclif/core');
const root = fileURLToPath(new URL('..', import.meta.url));
const pjson = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
pjson.version = `0.0.0-dev.${pjson.version}`;
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (String(warning).startsWith(`Mismatched version in ${pjson.name} plugin manifest`)) return;
  emitWarning(warning, ...rest);
};
await execute({ development: true, dir: import.meta.url, loadOptions: { root, pjson } });
