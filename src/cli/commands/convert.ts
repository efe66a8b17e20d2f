// src/cli/commands/convert.ts — `toonlora convert`: convert a LoRA between PEFT / diffusers and WebUI / kohya formats (alpha kept)
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { ToonloraError } from '../../errors.js';
import { formatBytes } from '../../format-bytes.js';
import { type ConvertResult, convertLora, convertOptionsSchema } from '../../lora/convert.js';
import { commandAction, printResult } from '../output.js';

interface ConvertFlags {
  output?: string;
  to: string;
  precision?: string;
  metadataFrom?: string;
  overwrite: boolean;
  dropUnknown: boolean;
  json: boolean;
}

async function readTrainingFacts(path: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `--metadata-from ${path}: cannot read JSON (${(error as Error).message}). Give a JSON file of training facts.`,
      {
        details: { file: path },
      },
    );
  }
}

/**
 * `--to peft -o x.safetensors` (a path that is no folder yet): refused, as PEFT output is a folder and would be made
 * as `x.safetensors/`. An existing folder of that name is written as any PEFT folder is.
 * @throws TL_ERR_USAGE naming the two ways out.
 */
async function refuseFileNameForPeft(output: string, to: string): Promise<void> {
  if (to !== 'peft' || !/\.safetensors$/i.test(output)) return;
  const isFolder = await stat(output).then(
    (info) => info.isDirectory(),
    () => false,
  );
  if (isFolder) return;
  const folder = output.replace(/\.safetensors$/i, '');
  throw new ToonloraError(
    'TL_ERR_USAGE',
    `-o ${output}: --to peft writes a folder (adapter_model.safetensors + adapter_config.json), not one .safetensors file; nothing was written. Give a folder (-o ${folder}), or --to kohya for one file.`,
    { details: { file: output } },
  );
}

function formatResult(result: ConvertResult): string {
  const kind = result.algorithm === 'lokr' ? 'LoKr ' : '';
  const lines = [
    `converted ${result.input} (${kind}${result.from}) -> ${result.to}: ${result.modules} modules`,
  ];
  for (const f of result.files) {
    const tensors = f.tensorDataSha256 === null ? '' : `, ${f.tensors} tensors`; // adapter_config.json: none
    lines.push(`  wrote ${f.path} (${formatBytes(f.bytes)}${tensors})`);
  }
  for (const w of result.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}

export function registerConvert(program: Command): void {
  const defaultTo = convertOptionsSchema.shape.to.parse(undefined);
  program
    .command('convert')
    .description('convert a LoRA between PEFT / diffusers and WebUI / kohya formats (alpha kept)')
    .argument(
      '<input>',
      'LoRA .safetensors file, or PEFT adapter folder (adapter_model.safetensors + adapter_config.json)',
    )
    .requiredOption('-o, --output <path>', 'output file (kohya, diffusers) or folder (peft)')
    .option(
      '--to <format>',
      `kohya (WebUI / ComfyUI / Civitai), diffusers (load_lora_weights) or peft (adapter folder)`,
      defaultTo,
    )
    .option(
      '--precision <dtype>',
      'fp16, bf16 or fp32 for the written tensors (default: keep each tensor dtype); rounding is to nearest even',
    )
    .option(
      '--metadata-from <json>',
      'JSON file of training facts for kohya metadata (outputName, steps, learningRate, trigger, captionsByFolder, ...); only the facts given are written (a fact the file lacks is left out, not defaulted); a file with its own ss_* / modelspec.* keeps them, and the facts given replace or add keys',
    )
    .option(
      '--overwrite',
      'replace an existing output file, or a PEFT folder holding only adapter files; without it an existing output is never touched',
      false,
    )
    .option(
      '--drop-unknown',
      'convert even when the file holds tensors convert does not understand (LoCon lora_mid, PEFT biases, modules_to_save): drop them, and any module that needs them, with a warning (an SDXL file is refused either way: SD1.5 only)',
      false,
    )
    .option('--json', 'print the result as JSON', false)
    .action(
      commandAction('convert', async (input: string, flags: ConvertFlags) => {
        await refuseFileNameForPeft(flags.output ?? '', flags.to);
        const trainingFacts = flags.metadataFrom ? await readTrainingFacts(flags.metadataFrom) : undefined;
        const result = await convertLora({
          input,
          output: flags.output ?? '',
          to: flags.to as 'kohya',
          ...(flags.precision ? { precision: flags.precision as 'fp16' } : {}),
          overwrite: flags.overwrite,
          dropUnknown: flags.dropUnknown,
          createOutputFolder: true, // as train and generate make their -o
          ...(trainingFacts ? { trainingFacts } : {}),
        });
        printResult(result, flags, formatResult);
        return 0;
      }),
    );
}
