// oclif's command_not_found hook: a typo gets "did you mean" suggestions and exit status 2 (a usage error), in
// every terminal or script alike; nothing is prompted for or run in its place.
import { Errors, toConfiguredId, type Hook } from '@oclif/core';
import { closestCommands } from '../pipeline/cli/did-you-mean.js';
import { errorDocument, ownArgs } from '../pipeline/cli/error-document.js';

const hook: Hook.CommandNotFound = async function (opts) {
  const ids = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]);
  const typed = toConfiguredId(opts.id, opts.config);
  const bin = opts.config.bin;
  const suggestions = closestCommands(typed, ids.map((id) => toConfiguredId(id, opts.config))).map((id) => `Did you mean \`${bin} ${id}\`?`);
  const err = new Errors.CLIError(`\`${typed}\` is not a ${bin} command.`, {
    code: 'E_USAGE',
    exit: 2,
    suggestions: [...suggestions, `Run \`${bin} help\` for the list of commands.`],
  });
  // No command ran, so no command prints the --json error document: a script that asked for JSON still gets one
  // on stdout (the same document as every command's), not an empty stdout to fail parsing on.
  if (ownArgs(opts.argv ?? []).includes('--json')) process.stdout.write(`${JSON.stringify(errorDocument(err), null, 2)}\n`);
  throw err;
};

export default hook;
