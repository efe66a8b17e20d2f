// src/cli/commands/setup.ts — `toonlora setup`: create the Python worker environment (trainer/.venv) and install its pinned packages
import type { Command } from 'commander';
import { notImplemented } from '../../errors.js';
import { commandAction } from '../output.js';

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description('create the Python worker environment (trainer/.venv) and install its pinned packages')
    .option('--json', 'print the result as JSON', false)
    .action(commandAction('setup', () => notImplemented('toonlora setup', 'issue 2: foundation')));
}
