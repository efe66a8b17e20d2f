// src/cli/commands/generate.ts — `toonlora generate`: generate images with a base model and a LoRA
import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { ensurePythonEnv } from '../../env/python-env.js';
import { ToonloraError } from '../../errors.js';
import { BASE_MODEL_HELP } from '../../models/base-model.js';
import { generationConfigSchema } from '../../schemas/config.js';
import { type GenerationResult, runGeneration } from '../../worker/generate.js';
import { createProgressReporter } from '../../worker/progress-bar.js';
import { withStopSignals } from '../../worker/stop-signals.js';
import { numberFlag as num } from '../number-flag.js';
import { commandAction, printResult, wantsProgressBar } from '../output.js';

interface GenerateFlags {
  lora?: string;
  prompt?: string;
  negative?: string;
  base?: string;
  weight?: string;
  seed?: string[];
  steps?: string;
  cfg?: string;
  scheduler?: string;
  width?: string;
  height?: string;
  output: string;
  config?: string;
  json: boolean;
}

function formatResult(result: GenerationResult): string {
  const t = result.timings;
  const seconds = (key: string) => (typeof t[key] === 'number' ? `${(t[key] as number).toFixed(2)} s` : '?');
  return [
    ...result.images.map((path) => `wrote ${path}`),
    result.grid ? `grid: ${result.grid}` : '',
    `base load ${seconds('load_s')}, LoRA load ${seconds('swap_s')}${typeof t.lora_copy_s === 'number' ? ` (+ ${seconds('lora_copy_s')} for its converted copy)` : ''}, sampling ${seconds('generate_s')}`,
    ...result.notes.map((note) => `note: ${note}`),
  ]
    .filter(Boolean)
    .join('\n');
}

export function registerGenerate(program: Command): void {
  const d = generationConfigSchema.parse({});
  program
    .command('generate')
    .description(
      "generate images with a base model and a LoRA (diffusers StableDiffusionPipeline); each PNG carries the WebUI's `parameters` text (prompt, seed, settings), and a prompt longer than CLIP's 75 tokens is warned about",
    )
    .option(
      '--lora <file>',
      'LoRA: a kohya / WebUI, diffusers or LyCORIS LoKr .safetensors file, or a PEFT adapter (a training run folder, or its adapter_model.safetensors) (default: none: the base model alone)',
    )
    .option(
      '--prompt <text>',
      'prompt; put the trigger word first, e.g. "sks, 1girl, smile" (required, or generation.prompt in the --config file)',
    )
    .option('--negative <text>', `negative prompt (default: "${d.negativePrompt}")`)
    .option('--base <model>', `${BASE_MODEL_HELP} (default: ${d.baseModel})`)
    .option('--weight <w>', `LoRA strength on top of alpha / rank (default: ${d.loraWeight})`)
    .option('--seed <n...>', `one image per seed, plus a grid (default: ${d.seeds.join(' ')})`)
    .option('--steps <n>', `sampling steps (default: ${d.steps})`)
    .option('--cfg <x>', `classifier-free guidance scale (default: ${d.guidanceScale})`)
    .option(
      '--scheduler <name>',
      `${generationConfigSchema.shape.scheduler.unwrap().options.join(', ')} (default: ${d.scheduler})`,
    )
    .option('--width <px>', `image width, multiple of 8 (default: ${d.width})`)
    .option('--height <px>', `image height, multiple of 8 (default: ${d.height})`)
    .requiredOption('-o, --output <dir>', 'folder for the images (existing files are never overwritten)')
    .option('--config <file>', 'config file (.json / .toml) with a [generation] section; flags win')
    .option('--json', 'print the result as JSON', false)
    .action(
      commandAction('generate', async (flags: GenerateFlags) => {
        const config = loadConfig({
          ...(flags.config ? { file: flags.config } : {}),
          overrides: {
            generation: {
              baseModel: flags.base,
              prompt: flags.prompt,
              negativePrompt: flags.negative,
              loraWeight: num(flags.weight, '--weight'),
              seeds: flags.seed?.map((seed) => num(seed, '--seed')),
              steps: num(flags.steps, '--steps'),
              guidanceScale: num(flags.cfg, '--cfg'),
              scheduler: flags.scheduler,
              width: num(flags.width, '--width'),
              height: num(flags.height, '--height'),
            },
          },
        }).generation;
        if (flags.prompt === undefined && config.prompt.trim() === '') {
          // an empty prompt renders whatever the base drifts to: never what someone who forgot --prompt wanted
          throw new ToonloraError(
            'TL_ERR_USAGE',
            '--prompt <text> is required: what to generate, the trigger word first (e.g. --prompt "sks, 1girl, smile"), ' +
              'or generation.prompt in the --config file. Give --prompt "" for an empty prompt.',
          );
        }
        await ensurePythonEnv(); // `setup` on demand: a no-op when trainer/requirements*.txt did not change
        // One bar over the sampling steps (all seeds render as one batch); off with --json or no terminal.
        const progress = createProgressReporter({
          enabled: wantsProgressBar(flags),
          label: 'generate',
          loss: false,
        });
        // Ctrl-C / SIGTERM stop the worker too (it exits at once), instead of leaving it rendering.
        const result = await withStopSignals((signal) =>
          runGeneration({
            ...(flags.lora ? { lora: flags.lora } : {}),
            outputDir: flags.output,
            config,
            signal,
            onEvent: progress.onEvent,
          }),
        ).finally(() => progress.stop());
        printResult(result, flags, formatResult);
        return 0;
      }),
    );
}
