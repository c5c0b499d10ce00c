// What a failed run prints on stdout under --json, in one place: every command's error (BaseCommand.toErrorJson)
// and an unknown command's (hooks/command-not-found.ts, where no command runs to print it).
import { Errors } from '@oclif/core';

/** The --json error document: stable code, message, suggestions and the exit status. */
export function errorDocument(err: Errors.CLIError): { error: { code: string; message: string; suggestions: string[]; exit: number } } {
  return { error: { code: err.code ?? 'E_INTERNAL', message: err.message, suggestions: err.suggestions ?? [], exit: err.oclif.exit ?? 1 } };
}

/** The arguments before a `--` (after it, values belong to the command, not to our flags). */
export function ownArgs(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--');
  return end < 0 ? argv : argv.slice(0, end);
}
