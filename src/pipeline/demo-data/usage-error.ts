// Bad demo-data options are usage errors: code E_USAGE with exit status 2, like oclif's own flag errors.
// Only the constructor lives here; callers word the message (what failed, the value, what was expected).
import { MadenetError } from '../core/errors.js';

export function usageError(message: string, suggestions: string[] = []): MadenetError {
  return new MadenetError('E_USAGE', message, { suggestions });
}
