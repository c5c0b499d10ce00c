// Streams predictions.jsonl one validated Prediction at a time, holding one chunk in memory. A last line
// without its newline that does not parse is a torn write (infer was stopped): reported, then skipped.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { MadenetError } from '../core/errors.js';
import { PREDICTIONS_FILE, parsePrediction, type Prediction } from './prediction.js';

export interface TornLine {
  file: string;
  line: number;
  /** The first bytes of the torn text. */
  text: string;
}

export interface ReadPredictionsOptions {
  onTornLine?: (torn: TornLine) => void;
}

export async function* readPredictions(dir: string, opts: ReadPredictionsOptions = {}): AsyncGenerator<Prediction> {
  const file = join(dir, PREDICTIONS_FILE);
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 });
  let rest = '';
  let line = 0;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      rest += chunk;
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        const text = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        line++;
        if (text.trim().length > 0) yield parseLine(text, file, line);
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MadenetError('E_NOT_FOUND', `No ${PREDICTIONS_FILE} in ${dir}; expected a predictions directory written by infer.`, {
        suggestions: ['Run `madenet infer --out DIR` first, or point --predictions at the directory that holds predictions.jsonl.'],
      });
    }
    throw err;
  }
  if (rest.trim().length === 0) return;
  line++;
  let parsed: unknown;
  try {
    parsed = JSON.parse(rest);
  } catch {
    opts.onTornLine?.({ file, line, text: rest.slice(0, 80) });
    return;
  }
  yield parsePrediction(parsed, `${file} line ${line}`);
}

function parseLine(text: string, file: string, line: number): Prediction {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new MadenetError('E_PREDICTIONS', `Bad JSON at ${file} line ${line}: ${(err as Error).message}; expected one JSON object per line.`);
  }
  return parsePrediction(parsed, `${file} line ${line}`);
}
