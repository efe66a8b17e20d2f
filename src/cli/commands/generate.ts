// src/cli/commands/generate.ts — `toonlora generate`: generate images with a base model and a LoRA
import type { Command } from 'commander';
import { notImplemented } from '../../errors.js';
import { commandAction } from '../output.js';

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('generate images with a base model and a LoRA')
    .option('--json', 'print the result as JSON', false)
    .action(commandAction('generate', () => notImplemented('toonlora generate', 'issue 6: training worker')));
}
