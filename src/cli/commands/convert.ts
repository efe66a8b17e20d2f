// src/cli/commands/convert.ts — `toonlora convert`: convert a LoRA between PEFT / diffusers and WebUI / kohya formats (alpha kept)
import type { Command } from 'commander';
import { notImplemented } from '../../errors.js';
import { commandAction } from '../output.js';

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('convert a LoRA between PEFT / diffusers and WebUI / kohya formats (alpha kept)')
    .option('--json', 'print the result as JSON', false)
    .action(commandAction('convert', () => notImplemented('toonlora convert', 'issue 3: LoRA formats')));
}
