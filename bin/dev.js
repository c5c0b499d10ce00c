#!/usr/bin/env -S node --loader ts-node/esm --no-warnings=ExperimentalWarning
// Development launcher: runs the TypeScript sources directly (needs ts-node); CI and users run bin/run.js.
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
