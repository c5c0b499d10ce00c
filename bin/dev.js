#!/usr/bin/env node
// Development launcher: runs the TypeScript sources under src/ through tsx; users and CI run bin/run.js.
// oclif trusts oclif.manifest.json (compiled dist/) while its version equals the package version, so the
// root plugin gets a -dev version here and oclif discovers the commands in src/ instead.
import { register } from 'tsx/esm/api';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

register();
const { execute } = await import('@oclif/core');
const root = fileURLToPath(new URL('..', import.meta.url));
const pjson = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
pjson.version = `${pjson.version}-dev`;
await execute({ development: true, dir: import.meta.url, loadOptions: { root, pjson } });
