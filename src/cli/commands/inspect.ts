// src/cli/commands/inspect.ts — `toonlora inspect`: show format, rank / alpha per module, metadata and loader compatibility of a LoRA file
import type { Command } from 'commander';
import { inspectLora } from '../../lora/inspect.js';
import { formatInspection } from '../../lora/inspect-text.js';
import { commandAction, printResult } from '../output.js';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('show format, rank / alpha per module, metadata and loader compatibility of a LoRA file')
    .argument('<file>', 'LoRA .safetensors file, or PEFT adapter folder')
    .option('--json', 'print the result as JSON (every module, all metadata, every unmapped key)', false)
    .action(
      commandAction('inspect', async (file: string, flags: { json: boolean }) => {
        const result = await inspectLora(file);
        printResult(result, flags, formatInspection);
        return 0;
      }),
    );
}
