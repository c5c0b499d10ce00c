// The base of every madenet command: --json on, MadenetError -> stable code + exit status, and a
// `say` that prints for humans only. Commands stay thin: parse flags, call one service, return its result.
import { Command, Errors } from '@oclif/core';
import { MadenetError, isMadenetError } from './errors.js';
import { installStopHandlers, type StopHandlers } from './stop-signal.js';
import { fromSystemError } from './system-errors.js';

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;
  private stopHandlers: StopHandlers | undefined;

  /** Aborted at the first SIGINT/SIGTERM; a second later the process exits 130 whatever the command is doing. */
  protected get stopSignal(): AbortSignal {
    this.stopHandlers ??= installStopHandlers();
    return this.stopHandlers.signal;
  }

  public override async init(): Promise<void> {
    await super.init();
    this.stopHandlers ??= installStopHandlers();
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    this.stopHandlers?.dispose();
    this.stopHandlers = undefined;
    return super.finally(err);
  }

  /** Human output on stdout; silent under --json so stdout carries exactly one JSON document. */
  protected say(message = ''): void {
    if (!this.jsonEnabled()) this.log(message);
  }

  /** Human diagnostics on stderr (warnings, what was skipped); silent under --json. */
  protected note(message: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${message}\n`);
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    const mapped = toCliError(err);
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

function toCliError(err: Error & { exitCode?: number }): Errors.CLIError {
  if (isMadenetError(err)) return fromMadenet(err);
  if (err instanceof Errors.CLIError) {
    // oclif's own parse errors (unknown flag, missing required flag) are usage errors.
    if (!err.code) (err as { code?: string }).code = 'E_USAGE';
    return err;
  }
  // Disk full, permissions, read-only filesystems: the user's to fix, so a coded error rather than "a bug".
  const system = fromSystemError(err);
  if (system) return fromMadenet(system);
  const wrapped = new MadenetError('E_INTERNAL', `Internal error: ${err.message}`, {
    suggestions: ['This is a bug in madenet; run again with DEBUG=madenet* and report the stack trace.'],
    cause: err,
  });
  if (process.env.DEBUG) process.stderr.write(`${err.stack ?? err.message}\n`);
  return fromMadenet(wrapped);
}

function fromMadenet(err: MadenetError): Errors.CLIError {
  const cli = new Errors.CLIError(err.message, { code: err.code, exit: err.exit, suggestions: err.suggestions });
  return cli;
}
