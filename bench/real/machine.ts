// What a result was measured on: CPU, cores, memory, Node, and the git commit (read-only git calls).
// Nothing here changes the repository or measures speed.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

export function gitState(cwd: string): { commit: string; dirty: boolean } {
  const git = (args: string[]): string | null => {
    try {
      return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const commit = git(['rev-parse', 'HEAD']) ?? 'unknown (not a git checkout)';
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return { commit, dirty: status !== null && status.length > 0 };
}

export function machineInfo(): { cpu: string; cores: number; memoryGb: number; node: string } {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
  };
}
