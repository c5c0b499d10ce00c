// `madenet version` (also `madenet --version` / `-v`): the tool's version and where it runs, for bug reports.
import { BaseCommand } from '../pipeline/cli/base-command.js';

export interface VersionResult {
  name: string;
  version: string;
  node: string;
  platform: string;
  arch: string;
}

export default class Version extends BaseCommand {
  static override summary = 'Print the madenet version (same as --version or -v).';
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json'];

  async run(): Promise<VersionResult> {
    await this.parse(Version);
    const result: VersionResult = { name: this.config.name, version: this.config.version, node: process.version, platform: process.platform, arch: process.arch };
    // The same line oclif prints for --version, so both spellings agree.
    this.say(this.config.userAgent);
    return result;
  }
}
