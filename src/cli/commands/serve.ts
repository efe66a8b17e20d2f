// src/cli/commands/serve.ts — `toonlora serve`: start the REST API and web app
import type { Command } from 'commander';
import { notImplemented } from '../../errors.js';
import { commandAction } from '../output.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the REST API and web app')
    .option('--json', 'print the result as JSON', false)
    .action(commandAction('serve', () => notImplemented('toonlora serve', 'issue 5: service and web app')));
}
