// src/cli/commands/demo.ts — `toonlora demo`: run the whole chain on the bundled example screenshots, offline
import type { Command } from 'commander';
import { notImplemented } from '../../errors.js';
import { commandAction } from '../output.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the whole chain on the bundled example screenshots, offline')
    .option('--json', 'print the result as JSON', false)
    .action(commandAction('demo', () => notImplemented('toonlora demo', 'issue 2: foundation')));
}
