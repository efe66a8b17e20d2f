// src/cli/commands/doctor.ts — `toonlora doctor`: check Node, Python, torch, GPU, disk and models, and say what each missing piece blocks
import type { Command } from 'commander';
import { notImplemented } from '../../errors.js';
import { commandAction } from '../output.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check Node, Python, torch, GPU, disk and models, and say what each missing piece blocks')
    .option('--json', 'print the result as JSON', false)
    .action(commandAction('doctor', () => notImplemented('toonlora doctor', 'issue 2: foundation')));
}
