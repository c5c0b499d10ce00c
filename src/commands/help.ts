// `madenet help [COMMAND...]`: the same help as `madenet COMMAND --help` (or -h), for those who type it first.
import { Args, loadHelpClass } from '@oclif/core';
import { BaseCommand } from '../pipeline/cli/base-command.js';

export default class Help extends BaseCommand {
  static override summary = 'Show help for madenet or one of its commands.';
  static override description = 'Same as `madenet COMMAND --help` or `madenet COMMAND -h`; with no command, lists them all.';
  static override enableJsonFlag = false;
  static override strict = false;
  static override args = {
    command: Args.string({ description: 'Command (and subcommand) to show help for, e.g. `infer` or `dataset make-demo`.', required: false }),
  };
  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help infer', '<%= config.bin %> help dataset make-demo'];

  async run(): Promise<void> {
    const { argv } = await this.parse(Help);
    const HelpClass = await loadHelpClass(this.config);
    await new HelpClass(this.config, this.config.pjson.oclif.helpOptions ?? this.config.pjson.helpOptions).showHelp(argv as string[]);
  }
}
