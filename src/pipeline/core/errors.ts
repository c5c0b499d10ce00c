// User-facing errors with stable codes. A MadenetError is something the user can fix (bad flag, bad file);
// anything else that escapes a command is a bug and is reported as E_INTERNAL. The exit status comes from the code
// (exit-status.ts), never from where the error is raised.
import { exitStatusFor } from './exit-status.js';

export type ErrorCode = `E_${string}`;

/** The codes in use; others may be added where a new failure needs its own stable name. */
export type KnownErrorCode =
  | 'E_USAGE'
  | 'E_NO_IMAGES'
  | 'E_DECODE'
  | 'E_IMAGE_TOO_SMALL'
  | 'E_MASK_MISSING'
  | 'E_MASK_SIZE'
  | 'E_DATASET'
  | 'E_NOT_FOUND'
  | 'E_BACKEND'
  | 'E_ARTIFACT'
  | 'E_CHECKSUM'
  | 'E_SCHEMA'
  | 'E_LOCKED'
  | 'E_EXISTS'
  | 'E_DIVERGED'
  | 'E_WEIGHTS'
  | 'E_CONFIG'
  | 'E_PERFMAP'
  | 'E_PREDICTIONS'
  | 'E_CATEGORY'
  | 'E_INTERRUPTED'
  | 'E_RESUME'
  | 'E_NO_DEFECTS'
  | 'E_PARITY'
  | 'E_NO_SPACE'
  | 'E_PERMISSION'
  | 'E_READ_ONLY'
  | 'E_NOT_A_DIRECTORY'
  | 'E_NOT_A_FILE'
  | 'E_TOO_MANY_FILES'
  | 'E_DEGENERATE'
  | 'E_UNSAFE_PATH'
  | 'E_TOO_LARGE'
  | 'E_INTERNAL';

export interface MadenetErrorOptions {
  suggestions?: string[];
  /** 128 + signal number for E_INTERRUPTED; otherwise ignored: the status follows the code (exit-status.ts). */
  exit?: number;
  cause?: unknown;
}

export class MadenetError extends Error {
  readonly code: ErrorCode;
  readonly suggestions: string[];
  readonly exit: number;

  constructor(code: ErrorCode, message: string, options: MadenetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MadenetError';
    this.code = code;
    this.suggestions = options.suggestions ?? [];
    this.exit = exitStatusFor(code, options.exit);
  }
}

export function isMadenetError(err: unknown): err is MadenetError {
  return err instanceof MadenetError;
}
