// The base of every madenet command: --json, the global --quiet/--verbose, --config/--print-config, MadenetError ->
// stable code + the exit status of its code (core/exit-status.ts), and `say`/`note` that print for humans only.
// Commands stay thin: parse flags, call one service, return its result.
import { Command, Errors, Flags } from '@oclif/core';
import type { Interfaces } from '@oclif/core';
import { resolve } from 'node:path';
import { setInvocation } from '../artifacts/invocation.js';
import { MadenetError, isMadenetError } from '../core/errors.js';
import { exitStatusFor } from '../core/exit-status.js';
import { aliasesUsed, effectiveConfig, flagsGiven, readConfigFile, settingsFor, settingsToArgv, type FlagShape } from './config-file.js';
import { setProgressVerbosity } from './progress.js';
import { installStopHandlers, type StopHandlers } from './stop-signal.js';
import { fromSystemError } from '../core/system-errors.js';
import { errorDocument, ownArgs } from './error-document.js';

/** Thrown by parse after --print-config has printed; catch turns it into a clean exit 0. */
class ConfigPrinted extends Error {}

// oclif's own parse() bounds, which its index does not export.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type FlagOutput = { [name: string]: any };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ArgOutput = { [name: string]: any };

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;
  private stopHandlers: StopHandlers | undefined;

  /** Aborted at the first SIGINT/SIGTERM; a second later the process exits 128 + n whatever the command is doing. */
  protected get stopSignal(): AbortSignal {
    this.stopHandlers ??= installStopHandlers();
    return this.stopHandlers.signal;
  }

  // Every command takes a recipe file; see config-file.ts and the README's "Config file".
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
    config: Flags.string({ description: 'YAML or JSON file of flag settings (top-level keys for every command, or a section per command); flags given on the command line win.', defaultHelp: async () => 'none' }),
    'print-config': Flags.boolean({ description: 'Print the effective settings (command line over --config over environment over defaults) as a config file and exit.' }),
  };

  /**
   * oclif's parse with the --config file's settings put in front of the command line (so typed flags win), a warning
   * on stderr for every deprecated old spelling used, --print-config, and the effective settings recorded for the
   * manifests of the artifacts this command writes.
   */
  protected override async parse<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput>(
    options?: Interfaces.Input<F, B, A>,
    argv: string[] = this.argv,
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const input = (options ?? this.ctor) as { flags?: Record<string, unknown>; baseFlags?: Record<string, unknown> };
    const shapes = { ...(input.baseFlags ?? {}), ...(input.flags ?? {}) } as Record<string, FlagShape>;
    const id = this.commandId();
    const configPath = configArg(argv);
    let full = argv;
    if (configPath !== undefined) {
      const where = `config file ${resolve(configPath)}`;
      const all = Object.fromEntries(this.config.commands.map((c) => [c.id, Object.entries(c.flags).flatMap(([n, f]) => [n, ...((f as { aliases?: string[] }).aliases ?? [])])]));
      const settings = settingsFor(await readConfigFile(configPath), id, shapes, all, where);
      full = [...settingsToArgv(settings, shapes, flagsGiven(argv, shapes), where), ...argv];
    }
    for (const { alias, name } of aliasesUsed(argv, shapes)) {
      process.stderr.write(`warning: --${alias} is deprecated and will be removed; use --${name}.\n`);
    }
    const parsed = await super.parse(options, full);
    const values = parsed.flags as Record<string, unknown>;
    const config = effectiveConfig(id, values);
    if (values['print-config']) {
      process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
      throw new ConfigPrinted();
    }
    setInvocation({ command: id.replaceAll(':', ' '), configFile: configPath === undefined ? null : resolve(configPath), flags: Object.values(config)[0] as Record<string, unknown> });
    return parsed;
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    this.stopHandlers?.dispose();
    this.stopHandlers = undefined;
    setInvocation(null);
    return super.finally(err);
  }

  /** The id oclif registered (e.g. "dataset:make-demo"); a command class run directly (tests) is found by its summary. */
  private commandId(): string {
    const ctor = this.ctor as typeof Command;
    // oclif's static run() names an unregistered class by its lower-cased class name ("datasetmakedemo").
    if (this.config.commands.some((c) => c.id === ctor.id)) return ctor.id;
    return this.config.commands.find((c) => c.summary !== undefined && c.summary === ctor.summary)?.id ?? ctor.id ?? this.id ?? 'madenet';
  }

  /** Set from argv before run(), so that they hold before (and whether or not) the command parses its flags. */
  protected quiet = false;
  protected verbose = false;

  protected override async init(): Promise<void> {
    await super.init();
    const own = ownArgs(this.argv);
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
    if (err instanceof ConfigPrinted) return undefined;
    const mapped = toCliError(err, this.verbose);
    process.exitCode = mapped.oclif.exit ?? 1;
    return super.catch(mapped);
  }

  protected override toErrorJson(err: unknown): unknown {
    if (err instanceof Errors.CLIError) return errorDocument(err);
    return super.toErrorJson(err);
  }
}

/** The value of --config on the command line (--config X or --config=X), if any. */
function configArg(argv: readonly string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i] as string;
    if (t === '--') break;
    if (t === '--config') found = argv[i + 1];
    else if (t.startsWith('--config=')) found = t.slice('--config='.length);
  }
  return found;
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
