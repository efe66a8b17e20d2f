// src/cli/commands/prep.ts — `toonlora prep`: screenshots -> clean, captioned training set (kohya folder layout + manifest.json)
import type { Command } from 'commander';
import { notImplemented } from '../../errors.js';
import { commandAction } from '../output.js';

export function registerPrep(program: Command): void {
  program
    .command('prep')
    .description('screenshots -> clean, captioned training set (kohya folder layout + manifest.json)')
    .option('--json', 'print the result as JSON', false)
    .action(commandAction('prep', () => notImplemented('toonlora prep', 'issue 4: dataset builder')));
}
