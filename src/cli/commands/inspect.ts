// src/cli/commands/inspect.ts — `toonlora inspect`: show format, rank / alpha per module, metadata and loader compatibility of a LoRA file
import type { Command } from 'commander';
import { notImplemented } from '../../errors.js';
import { commandAction } from '../output.js';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('show format, rank / alpha per module, metadata and loader compatibility of a LoRA file')
    .option('--json', 'print the result as JSON', false)
    .action(commandAction('inspect', () => notImplemented('toonlora inspect', 'issue 3: LoRA formats')));
}
