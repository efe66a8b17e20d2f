// src/cli/commands/models.ts — `toonlora models`: list, download (pull) and locate the models toonlora uses
import type { Command } from 'commander';
import { notImplemented } from '../../errors.js';
import { commandAction } from '../output.js';

export function registerModels(program: Command): void {
  program
    .command('models')
    .description('list, download (pull) and locate the models toonlora uses')
    .option('--json', 'print the result as JSON', false)
    .action(commandAction('models', () => notImplemented('toonlora models', 'issue 2: foundation')));
}
