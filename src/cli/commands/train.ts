// src/cli/commands/train.ts — `toonlora train`: train a LoRA on a prepared dataset with the Python worker
import type { Command } from 'commander';
import { notImplemented } from '../../errors.js';
import { commandAction } from '../output.js';

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a LoRA on a prepared dataset with the Python worker')
    .option('--json', 'print the result as JSON', false)
    .action(commandAction('train', () => notImplemented('toonlora train', 'issue 6: training worker')));
}
