// Where infer's images come from: a glob, a directory (recursive) or a single file, listed sorted; or `-`,
// a list on stdin read lazily, one path per line, optionally followed by a TAB and the image's category.
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { MadenetError } from '../core/errors.js';
import { listImages } from '../io/glob.js';

export interface InputItem {
  /** The path exactly as given (as listed, for a glob or directory: absolute). */
  path: string;
  /** Absolute path to read. */
  file: string;
  /** Category named on the input line, or null. */
  category: string | null;
}

export interface InputSourceOptions {
  /** Stream read for `-` (default process.stdin). */
  stdin?: NodeJS.ReadableStream;
  /** Base of relative paths on the list (default the working directory). */
  cwd?: string;
  /** Called once with the number of images a glob, directory or file lists (not for stdin, which streams). */
  onListed?: (count: number) => void;
}

export function isStdinInput(input: string): boolean {
  return input === '-';
}

export async function* inputSource(input: string, opts: InputSourceOptions = {}): AsyncGenerator<InputItem> {
  if (isStdinInput(input)) {
    yield* stdinItems(opts.stdin ?? process.stdin, opts.cwd ?? process.cwd());
    return;
  }
  const files = await listImages(input, { allowEmpty: true });
  opts.onListed?.(files.length);
  for (const file of files) yield { path: file, file, category: null };
}

/** Blank lines and lines starting with # are skipped; CR of CRLF files is dropped. An empty list is no error (a quiet day for cron). */
async function* stdinItems(stream: NodeJS.ReadableStream, cwd: string): AsyncGenerator<InputItem> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  for await (const raw of lines) {
    n++;
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const [path, category, ...rest] = line.split('\t');
    if (rest.length > 0 || path === undefined || path.trim() === '' || (category !== undefined && category.trim() === '')) {
      throw new MadenetError('E_USAGE', `Input line ${n} is ${JSON.stringify(line)}; expected "PATH" or "PATH<TAB>CATEGORY".`);
    }
    yield { path, file: resolve(cwd, path), category: category === undefined ? null : category.trim() };
  }
}
