#!/usr/bin/env -S node --import tsx --no-warnings=ExperimentalWarning
// Development launcher: runs the TypeScript sources under src/ directly through tsx; users and CI run bin/run.js.
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
