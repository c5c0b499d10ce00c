// The command invocation that is producing artifacts right now (command, config file, effective flags), recorded
// in every manifest written meanwhile. Set by the CLI's BaseCommand after parsing; services never see flags, so
// this one piece of process state is how "the effective config is saved in every artifact" reaches the store.
export interface Invocation {
  /** Command id as typed, e.g. "train-srad" or "dataset make-demo". */
  command: string;
  /** Absolute path of the --config file, or null. */
  configFile: string | null;
  /** Every flag's effective value (command line over config file over environment over default). */
  flags: Record<string, unknown>;
}

let current: Invocation | null = null;

export function setInvocation(invocation: Invocation | null): void {
  current = invocation;
}

export function currentInvocation(): Invocation | null {
  return current;
}
