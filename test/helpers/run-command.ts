// Runs an oclif command class in-process (as `madenet <cmd>` would) and captures stdout, stderr, the thrown
// error (oclif rethrows after printing; under --json the error is the JSON document on stdout) and the exit code.
import { expect, jest } from '@jest/globals';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface CommandRun {
  stdout: string;
  stderr: string;
  error: (Error & { code?: string; oclif?: { exit?: number } }) | undefined;
  exitCode: number | string | undefined;
}

export async function runCommand(cmd: { run(argv: string[], root: string): Promise<unknown> }, argv: string[]): Promise<CommandRun> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  let error: CommandRun['error'];
  let exitCode: number | string | undefined;
  try {
    await cmd.run(argv, root);
  } catch (e) {
    error = e as CommandRun['error'];
  } finally {
    out.mockRestore();
    err.mockRestore();
    exitCode = process.exitCode ?? undefined;
    process.exitCode = undefined;
  }
  return { stdout, stderr, error, exitCode };
}

/** Runs `cmd` with `argv` and --json, expects success (no exit code, or 0) and returns the JSON document it printed. */
export async function runJson<T = Record<string, unknown>>(cmd: { run(argv: string[], root: string): Promise<unknown> }, argv: string[]): Promise<T> {
  const r = await runCommand(cmd, [...argv, '--json']);
  expect(r.exitCode ?? 0).toBe(0);
  return JSON.parse(r.stdout) as T;
}
