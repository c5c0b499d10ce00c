// Jest decorates console output ("console.log ... at ..."), which corrupts --json captured in-process.
const { Console } = require('node:console');
globalThis.console = new Console({ stdout: process.stdout, stderr: process.stderr });
