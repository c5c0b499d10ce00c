// The base of every madenet command: --json, the global --quiet/--verbose, MadenetError -> stable code + the exit
// status of its code (exit-status.ts), and `say`/`note` that print for humans only. Commands stay thin: parse flags,
// call one service, return its result.
import { Command, Errors, Flags } from '@oclif/core';
import { MadenetError, isMadenetError } from '../core/errors.js';
import { exitStatusFor } from '../core/exit-status.js';
import { setProgressVerbosity } from './progress.js';
import { installStopHandlers, type StopHandlers } from './stop-signal.js';
import { fromSystemError } from './system-errors.js';

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;
  private stopHandlers: StopHandlers | undefined;

  /** Aborted at the first SIGINT/SIGTERM; a second later the process exits 128 + n whatever the command is doing. */
  protected get stopSignal(): AbortSignal {
    this.stopHandlers ??= installStopHandlers();
    return this.stopHandlers.signal;
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    this.stopHandlers?.dispose();
    this.stopHandlers = undefined;
    return super.finally(err);
  }

  static override baseFlags = {
    quiet: Flags.boolean({
      char: 'q',
      description: 'Print nothing but errors (and the --json document): no progress, summary or notes.',
      helpGroup: 'GLOBAL',
      exclusive: ['verbose'],
    }),
    verbose: Flags.boolean({
      description: 'Progress as plain lines even when stderr is not a terminal (logs), and stack traces of errors.',
      helpGroup: 'GLOBAL',
    }),
  };

  /** Set from argv before run(), so that they hold before (and whether or not) the command parses its flags. */
  protected quiet = false;
  protected verbose = false;

  protected override async init(): Promise<void> {
    await super.init();
    const own = this.argv.slice(0, this.argv.includes('--') ? this.argv.indexOf('--') : undefined);
    this.quiet = own.includes('--quiet') || own.includes('-q');
    this.verbose = !this.quiet && own.includes('--verbose');
    setProgressVerbosity(this.quiet ? 'quiet' : this.verbose ? 'verbose' : 'normal');
    this.stopHandlers ??= installStopHandlers();
  }

  /** Human output on stdout; silent under --json (stdout carries exactly one JSON document) and --quiet. */
  protected say(message = ''): void {
    if (!this.jsonEnabled() && !this.quiet) this.log(message);
  }

  /** Human diagnostics on stderr (what was skipped, what happens next); silent under --json and --quiet. */
  protected note(message: string): void {
    if (!this.jsonEnabled() && !this.quiet) process.stderr.write(`${message}\n`);
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    const mapped = toCliError(err, this.verbose);
    process.exitCode = mapped.oclif.exit ?? 1;
    return super.catch(mapped);
  }

  protected override toErrorJson(err: unknown): unknown {
    if (err instanceof Errors.CLIError) {
      return {
        error: {
          code: err.code ?? 'E_INTERNAL',
          message: err.message,
          suggestions: err.suggestions ?? [],
          exit: err.oclif.exit ?? 1,
        },
      };
    }
    return super.toErrorJson(err);
  }
}

function toCliError(err: Error & { exitCode?: number }, verbose: boolean): Errors.CLIError {
  if (isMadenetError(err)) {
    if (verbose) process.stderr.write(`${err.stack ?? err.message}\n`);
    return fromMadenet(err);
  }
  // this.exit(n): oclif's own way out, with the status asked for.
  if (err instanceof Errors.ExitError) return err;
  if (err instanceof Errors.CLIError) {
    // oclif's own parse errors (unknown flag, missing required flag, bad option) are usage errors.
    const code = err.code ?? 'E_USAGE';
    (err as { code?: string }).code = code;
    err.oclif.exit = exitStatusFor(code);
    return err;
  }
  // Disk full, permissions, read-only filesystems: the user's to fix, so a coded error rather than "a bug".
  const system = fromSystemError(err);
  if (system) return fromMadenet(system);
  const wrapped = new MadenetError('E_INTERNAL', `Internal error: ${err.message}`, {
    suggestions: ['This is a bug in madenet; run again with --verbose (or DEBUG=madenet*) and report the stack trace.'],
    cause: err,
  });
  if (verbose || process.env.DEBUG) process.stderr.write(`${err.stack ?? err.message}\n`);
  return fromMadenet(wrapped);
}

function fromMadenet(err: MadenetError): Errors.CLIError {
  return new Errors.CLIError(err.message, { code: err.code, exit: err.exit, suggestions: err.suggestions });
}
