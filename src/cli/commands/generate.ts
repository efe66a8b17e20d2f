// src/cli/commands/generate.ts — `toonlora generate`: generate images with a base model and a LoRA
import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { ensurePythonEnv } from '../../env/python-env.js';
import { ToonloraError } from '../../errors.js';
import { BASE_MODEL_HELP } from '../../models/base-model.js';
import { type GenerationConfig, generationConfigSchema } from '../../schemas/config.js';
import { checkBasePulled, checkTrainingBase } from '../../worker/base-check.js';
import { cpuThreadsOverride } from '../../worker/cpu-threads.js';
import { type GenerationResult, runGeneration } from '../../worker/generate.js';
import { checkGenerateLocalInputs } from '../../worker/lora-input-check.js';
import { createProgressReporter } from '../../worker/progress-bar.js';
import { withStopSignals } from '../../worker/stop-signals.js';
import { numberFlag as num } from '../number-flag.js';
import { commandAction, printResult, progressMode } from '../output.js';
import { type StopBeforeStart, stopBeforeStart } from '../stop-before-start.js';
import {
  addWorkerTimeoutOptions,
  type WorkerTimeoutFlags,
  workerSilenceFromFlags,
} from '../worker-timeout-flags.js';

interface GenerateFlags extends WorkerTimeoutFlags {
  /** Every --lora given, in order (collected, so that a second one is refused instead of replacing the first). */
  lora?: string[];
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

/**
 * --seed's values as numbers. `--seed 1,2` (one value with commas) is refused with the form that works,
 * `--seed 1 2`, instead of a bare "not a number".
 */
export function seedsFlag(values: readonly string[] | undefined): number[] | undefined {
  return values?.map((value) => {
    const parts = value.split(/[,;]/).map((part) => part.trim());
    if (parts.length > 1 && parts.every((part) => part === '' || /^[+-]?\d+$/.test(part))) {
      throw new ToonloraError(
        'TL_ERR_USAGE',
        `--seed: ${JSON.stringify(value)} is not a number. Give several seeds separated by spaces: --seed ${parts.filter(Boolean).join(' ')}.`,
        { details: { flag: '--seed', value } },
      );
    }
    return num(value, '--seed');
  });
}

/**
 * The one --lora of `values` (every --lora given, in order). Stacking LoRAs is not supported: a second --lora used to
 * replace the first silently (exit 0, the PNG naming only the last), so it is refused naming both.
 * @throws TL_ERR_USAGE when --lora is given more than once
 */
export function singleLoraFlag(values: readonly string[] | undefined): string | undefined {
  if (values === undefined || values.length <= 1) return values?.[0];
  throw new ToonloraError(
    'TL_ERR_USAGE',
    `--lora is given ${values.length} times (${values.map((value) => JSON.stringify(value)).join(', ')}): generate applies one LoRA. ` +
      'Give one --lora; to compare LoRAs, run generate once per LoRA.',
    { details: { flag: '--lora', values: [...values] } },
  );
}

/**
 * Notes about settings that run but do less than they seem to: a seed given twice (the same image again, under
 * another name) and a LoRA at weight 0 (no effect: the base model's images).
 */
export function settingNotes(config: GenerationConfig, lora: string | undefined): string[] {
  const notes: string[] = [];
  const twice = [...new Set(config.seeds.filter((seed, i) => config.seeds.indexOf(seed) !== i))];
  if (twice.length > 0) {
    notes.push(
      `seed ${twice.join(', ')} ${twice.length === 1 ? 'is' : 'are'} given more than once: each repeat renders the same image again (seed-${twice[0]}-2.png); give each seed once.`,
    );
  }
  if (lora !== undefined && config.loraWeight === 0) {
    notes.push(
      "the LoRA weight is 0: the LoRA has no effect, so these are the base model's images. Give --weight 0.8 (the default) to apply it.",
    );
  }
  return notes;
}

export function registerGenerate(program: Command): void {
  const d = generationConfigSchema.parse({});
  const command = program
    .command('generate')
    .description(
      "generate images with a base model and a LoRA (diffusers StableDiffusionPipeline); each PNG carries the WebUI's `parameters` text (prompt, seed, settings), and a prompt longer than CLIP's 75 tokens is warned about",
    )
    .option(
      '--lora <file>',
      'LoRA: a kohya / WebUI, diffusers or LyCORIS LoKr .safetensors file, or a PEFT adapter (a training run folder, or its adapter_model.safetensors); one LoRA: a second --lora is refused (default: none: the base model alone)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
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
    .option('--config <file>', 'config file (.json / .toml) with a [generation] section; flags win');
  addWorkerTimeoutOptions(command, 'generate fails saying so (no image is written)')
    .option('--json', 'print the result as JSON', false)
    .action(
      commandAction('generate', async (flags: GenerateFlags) => {
        const checks = stopBeforeStart('generate'); // Ctrl-C before the run starts: said, not silent
        try {
          return await generate(flags, checks);
        } finally {
          checks.remove();
        }
      }),
    );
}

/** generate's checks, then the run (`checks`' stop handlers are removed before the run's own). */
async function generate(flags: GenerateFlags, checks: StopBeforeStart): Promise<number> {
  const lora = singleLoraFlag(flags.lora); // usage errors first: before the config and the venv
  const silence = workerSilenceFromFlags(flags);
  const config = loadConfig({
    ...(flags.config ? { file: flags.config } : {}),
    overrides: {
      generation: {
        baseModel: flags.base,
        prompt: flags.prompt,
        negativePrompt: flags.negative,
        loraWeight: num(flags.weight, '--weight'),
        seeds: seedsFlag(flags.seed),
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
  // the user's own paths first, --lora (a typo, an image or a web page saved as it) then -o (a file, not
  // writable): local and cheap, so they are named whatever the base; then the base as the worker would load
  // it, before the venv and the worker
  await checkGenerateLocalInputs(lora, flags.output);
  cpuThreadsOverride(process.env); // a bad TOONLORA_CPU_THREADS now, as train does: not after the base loaded
  await checkTrainingBase(config.baseModel);
  checkBasePulled(config.baseModel);
  // `setup` on demand: a no-op when trainer/requirements*.txt did not change; a stop while it installs says so
  await checks.duringPythonEnv((onInstall) => ensurePythonEnv({ onInstall }));
  // One bar over the sampling steps (all seeds render as one batch); plain lines without a terminal, none with --json.
  const progress = createProgressReporter({
    mode: progressMode(flags),
    label: 'generate',
    loss: false,
  });
  // Ctrl-C / SIGTERM stop the worker too (it exits at once), instead of leaving it rendering.
  checks.remove();
  const result = await withStopSignals((signal) =>
    runGeneration({
      ...(lora ? { lora } : {}),
      outputDir: flags.output,
      config,
      signal,
      onEvent: progress.onEvent,
      silence,
    }),
  ).finally(() => progress.stop());
  const notes = settingNotes(config, lora);
  printResult(
    notes.length > 0 ? { ...result, notes: [...notes, ...result.notes] } : result,
    flags,
    formatResult,
  );
  return 0;
}
