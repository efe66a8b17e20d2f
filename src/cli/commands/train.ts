// src/cli/commands/train.ts — `toonlora train`: train a LoRA on a prepared dataset with the Python worker
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { ensurePythonEnv } from '../../env/python-env.js';
import { isToonloraError, ToonloraError } from '../../errors.js';
import { BASE_MODEL_HELP } from '../../models/base-model.js';
import {
  bothTrainingLengthsMessage,
  effectiveLoraAlpha,
  type TrainingConfig,
  trainingConfigSchema,
} from '../../schemas/config.js';
import { checkBasePulled, checkTrainingBase, notPulledBaseWarning } from '../../worker/base-check.js';
import { countLora, type LoraCount } from '../../worker/lora-count.js';
import {
  describeMemoryEstimate,
  estimatedConfig,
  estimateTrainingMemory,
  type MemoryEstimate,
} from '../../worker/memory-estimate.js';
import { createProgressReporter } from '../../worker/progress-bar.js';
import type { WorkerEvent } from '../../worker/protocol.js';
import { runInsideDatasetWarning } from '../../worker/run-folder.js';
import { withStopSignals } from '../../worker/stop-signals.js';
import {
  checkTrainingPaths,
  planTraining,
  runTraining,
  type TrainingPlan,
  type TrainResult,
} from '../../worker/train.js';
import { errorLine, resultLine, workerEventLine } from '../../worker/train-events.js';
import { numberFlag as num } from '../number-flag.js';
import { commandAction, printResult, wantsProgressBar, writeFinal } from '../output.js';

interface TrainFlags {
  output?: string;
  base?: string;
  steps?: string;
  epochs?: string;
  rank?: string;
  alpha?: string;
  lr?: string;
  dora?: boolean;
  lokr?: boolean;
  lokrFactor?: string;
  trainTextEncoder?: boolean;
  teLr?: string;
  compile?: boolean;
  keepCheckpoints?: string;
  /** false with --no-buckets (commander's negated option); otherwise the config decides. */
  buckets?: boolean;
  resume: boolean;
  dryRun: boolean;
  config?: string;
  json: boolean;
  /** JSON lines on stdout: progress / sample / checkpoint as the run goes, then the result (worker/train-events.ts). */
  events?: boolean;
}

/** Config overrides from the flags; --steps and --epochs both set the run's length, so only one may be given. */
export function trainingOverrides(flags: TrainFlags): Record<string, unknown> {
  if (flags.steps !== undefined && flags.epochs !== undefined) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      bothTrainingLengthsMessage(`--steps ${flags.steps}`, `--epochs ${flags.epochs}`, 'Give'),
    );
  }
  return {
    training: {
      baseModel: flags.base,
      steps: num(flags.steps, '--steps'),
      epochs: num(flags.epochs, '--epochs'),
      learningRate: num(flags.lr, '--lr'),
      trainTextEncoder: flags.trainTextEncoder,
      textEncoderLearningRate: num(flags.teLr, '--te-lr'),
      compile: flags.compile,
      keepCheckpoints: num(flags.keepCheckpoints, '--keep-checkpoints'),
      aspectRatioBuckets: flags.buckets === false ? false : undefined,
      lora: {
        rank: num(flags.rank, '--rank'),
        alpha: num(flags.alpha, '--alpha'),
        dora: flags.dora,
        algorithm: flags.lokr ? 'lokr' : undefined,
        lokrFactor: num(flags.lokrFactor, '--lokr-factor'),
      },
    },
  };
}

/**
 * @throws TL_ERR_USAGE for --events with --json (two stdout formats) or with --dry-run (no run to follow: --json
 *   prints its one document).
 */
export function checkOutputFlags(flags: Pick<TrainFlags, 'events' | 'json' | 'dryRun'>): void {
  if (!flags.events) return;
  if (flags.json)
    throw new ToonloraError(
      'TL_ERR_USAGE',
      '--events and --json both set what stdout prints. Give only one: --json prints one final document, ' +
        '--events a JSON line per progress / sample / checkpoint event and the same document as the last line.',
    );
  if (flags.dryRun)
    throw new ToonloraError(
      'TL_ERR_USAGE',
      '--events follows a run as it trains; a --dry-run trains nothing. Use --json for its document.',
    );
}

/** The `error` a failed run's last --events line carries: what `--json` prints under `error`. */
function errorDocument(error: unknown): { code: string; message: string } {
  if (isToonloraError(error)) return { code: error.code, message: error.message, ...error.details };
  return { code: 'TL_ERR_INTERNAL', message: String(error) };
}

/** Flags given that the resolved config makes inert (`--te-lr` without text-encoder training, ...). */
export function inertFlagWarnings(flags: TrainFlags, config: TrainingConfig): string[] {
  const warnings: string[] = [];
  if (flags.teLr !== undefined && !config.trainTextEncoder) {
    warnings.push('--te-lr has no effect: the text encoder is not trained. Add --train-text-encoder.');
  }
  if (flags.lokrFactor !== undefined && config.lora.algorithm !== 'lokr') {
    warnings.push('--lokr-factor has no effect: this run trains a LoRA, not a LoKr. Add --lokr.');
  }
  return warnings;
}

interface DryRun extends LoraCount {
  readonly config: TrainingConfig;
  readonly plan: TrainingPlan;
  readonly gpuMemory: MemoryEstimate;
}

function formatDryRun(dry: DryRun): string {
  const { lora } = dry;
  const share = ((100 * lora.trainableParams) / lora.unetParams).toFixed(2);
  const adapter = dry.config.lora.algorithm === 'lokr' ? 'LoKr' : 'LoRA';
  const { plan } = dry;
  return [
    JSON.stringify(dry.config, null, 2),
    `dataset: ${plan.images} images, ${plan.imagesWithRepeats} with repeats (an epoch); ${plan.steps} steps ` +
      `${dry.config.epochs === undefined ? 'reach' : '='} ${plan.epochs} epoch(s) at batch ${dry.config.batchSize} ` +
      `x accumulation ${dry.config.gradientAccumulation}.`,
    `${adapter}: ${lora.modules} modules, ${lora.trainableParams.toLocaleString('en-US')} trainable parameters ` +
      `(${share}% of the UNet's ${lora.unetParams.toLocaleString('en-US')}), from the ${lora.countedOn}.`,
    ...(dry.textEncoderLora
      ? [
          `text-encoder ${adapter}: ${dry.textEncoderLora.modules} modules, ` +
            `${dry.textEncoderLora.trainableParams.toLocaleString('en-US')} trainable parameters ` +
            `(of the text encoder's ${dry.textEncoderLora.textEncoderParams.toLocaleString('en-US')}).`,
        ]
      : []),
    describeMemoryEstimate(dry.gpuMemory, dry.config),
  ].join('\n');
}

/** Exit code of a run stopped at once by a second Ctrl-C: 128 + SIGINT, as the shell reports a process it ended. */
export const EXIT_KILLED = 130;

/** What a stopped run says: where it stopped, the checkpoint on disk, and (stopped at once) the steps lost. */
export function formatStopped(result: TrainResult): string {
  const resume = result.checkpoint
    ? `Continue from ${result.checkpoint} with --resume.`
    : 'No checkpoint is on disk: nothing to resume; start the run again.';
  if (!result.forced) {
    return result.checkpoint
      ? `stopped at step ${result.steps}; checkpoint ${result.checkpoint}. Continue with --resume.`
      : `stopped at step ${result.steps}. ${resume}`;
  }
  const kept = result.checkpointStep ?? 0;
  const since = result.checkpoint ? `since the checkpoint at step ${kept}` : 'of this run';
  const lost =
    result.steps > kept + 1
      ? `steps ${kept + 1}-${result.steps} ${since} are lost`
      : result.steps === kept + 1
        ? `step ${result.steps} ${since} is lost`
        : 'no finished step is lost';
  const killed =
    result.killedAfterGraceMs === undefined
      ? 'the worker was killed'
      : `the worker was killed: it did not finish its step and save within ${Math.round(result.killedAfterGraceMs / 1000)} s`;
  return `stopped at step ${result.steps} without saving a checkpoint (${killed}): ${lost}. ${resume}`;
}

/**
 * The human summary of a run. `stoppedLate`: a stop (Ctrl-C, a closed output pipe) came during the last step, which
 * the worker finished: the run is complete, and the command still exits 1 as a stopped run does.
 */
export function formatResult(
  result: TrainResult,
  algorithm: TrainingConfig['lora']['algorithm'],
  stoppedLate = false,
): string {
  if (result.status === 'cancelled') return formatStopped(result);
  return [
    stoppedLate
      ? 'stopped after the last step had started: the run finished it, and its files are complete (nothing to resume)'
      : '',
    result.lastLoss === null
      ? `trained ${result.steps} steps (all before this --resume: it wrote the missing files from the last checkpoint)`
      : `trained ${result.steps} steps (last loss ${result.lastLoss.toFixed(4)})`,
    `  PEFT adapter: ${result.adapter}`,
    result.textEncoderAdapter ? `  text-encoder PEFT adapter: ${result.textEncoderAdapter}` : '',
    result.kohyaFile
      ? algorithm === 'lokr'
        ? `  WebUI / ComfyUI LoKr file (LyCORIS; toonlora generate loads it too): ${result.kohyaFile}`
        : `  WebUI / ComfyUI / diffusers file: ${result.kohyaFile}`
      : '',
    result.samples.length ? `  samples: ${result.samples.length} images in ${result.runDir}/samples` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

export function registerTrain(program: Command): void {
  const d = trainingConfigSchema.parse({});
  program
    .command('train')
    .description(
      'train a LoRA on a prepared dataset (kohya folders `<repeats>_<trigger> <class>/`) with the Python worker',
    )
    .argument('<dataset-dir>', 'dataset folder written by `toonlora prep` (or any kohya-layout folder)')
    .option('-o, --output <run-dir>', 'run folder: adapter, kohya .safetensors, checkpoints/, samples/')
    .option('--base <model>', `${BASE_MODEL_HELP} (default: ${d.baseModel})`)
    .option('--steps <n>', `training steps (default: ${d.steps}); or give --epochs`)
    .option(
      '--epochs <n>',
      'training length in epochs (every image x its folder repeats); steps = ceil(epochs x images x repeats / (batch x gradient accumulation)), counting with aspect-ratio buckets the batches filled up to hold one bucket each (default: none: --steps sets the length)',
    )
    .option('--rank <r>', `LoRA rank, 8-64 recommended (default: ${d.lora.rank})`)
    .option('--alpha <a>', 'LoRA alpha; scale = alpha / rank (default: = rank)')
    .option('--lr <x>', `UNet learning rate, AdamW (default: ${d.learningRate})`)
    .option('--dora', `weight-decomposed LoRA, PEFT use_dora (default: ${d.lora.dora})`)
    .option(
      '--lokr',
      'train a LoKr (LyCORIS Kronecker product, PEFT LoKrConfig) instead of a LoRA: far fewer parameters (206,720 at rank 32 on SD1.5), usually trained at a higher --lr than a LoRA; the .safetensors is a LyCORIS LoKr file (WebUI, ComfyUI and toonlora generate load it) (default: false)',
    )
    .option(
      '--lokr-factor <n>',
      `LoKr decompose factor: the first Kronecker factor's side (8: a 320-wide layer splits 8 x 40); -1 splits near the square root, the smallest file (default: ${d.lora.lokrFactor})`,
    )
    .option(
      '--train-text-encoder',
      `also train a LoRA on the CLIP text encoder (q/k/v/out_proj, same rank / alpha); text embeddings are then computed every step, not cached (default: ${d.trainTextEncoder})`,
    )
    .option(
      '--te-lr <x>',
      `text-encoder learning rate, its own AdamW group (default: ${d.textEncoderLearningRate})`,
    )
    .option(
      '--compile',
      `torch.compile the UNet step (on a GPU with CUDA graphs, when gradient accumulation is 1): fewer kernel launches per step, but the first step compiles for a minute or more; needs a C/C++ compiler; a --dora run stays eager, and a failed compile falls back to eager with a warning (default: ${d.compile})`,
    )
    .option(
      '--keep-checkpoints <n>',
      `keep only the newest n checkpoint folders (each ~75 MB at rank 32: LoRA + optimizer state), removing older ones as the run goes; 0 keeps all (default: ${d.keepCheckpoints})`,
    )
    .option(
      '--no-buckets',
      'no aspect-ratio buckets: centre-crop every image to a square (by default each trains at the size nearest its aspect ratio, e.g. 384x640 for a tall crop; a batch holds one size) (default: buckets on)',
    )
    .option('--resume', 'continue from the newest checkpoint in the run folder', false)
    .option(
      '--dry-run',
      'print the resolved config (--epochs turned into steps from the dataset, as the run does), the LoRA size and the estimated peak GPU memory (no GPU needed), train nothing; the dataset is read by the same scan as the run (in the worker), so a missing or empty dataset fails as a real run does and every dataset warning the run would print is printed',
      false,
    )
    .option('--config <file>', 'config file (.json / .toml) with a [training] section; flags win')
    .option('--json', 'print the result as one JSON document when the run ends', false)
    .option(
      '--events',
      'print JSON lines on stdout as the run goes: one per progress, sample and checkpoint event (`type` says which), then the result (`{"type":"result","result":…}`, the --json document) or the error (`{"type":"error","error":{code,message}}`) as the last line; logs stay on stderr (not with --json or --dry-run)',
      false,
    )
    .action(
      commandAction('train', async (datasetDir: string, flags: TrainFlags) => {
        try {
          return await train(datasetDir, flags);
        } catch (error) {
          // --events ends with a line either way; with --json too, the usage error is its one document
          if (flags.events && !flags.json) process.stdout.write(errorLine(errorDocument(error)));
          throw error;
        }
      }),
    );
}

/** -o of a real run. @throws TL_ERR_USAGE when it is not given */
function requiredOutput(flags: Pick<TrainFlags, 'output'>): string {
  if (flags.output) return flags.output;
  throw new ToonloraError(
    'TL_ERR_USAGE',
    '-o, --output <run-dir> is required: the folder the LoRA is written to.',
  );
}

/**
 * The dataset folder and (a real run) the run folder, checked as runTraining checks them (checkTrainingPaths), before
 * the base model and the Python environment: a missing -o, a dataset typo or a run folder that already holds a LoRA is
 * named at once, not after a base that is not downloaded.
 */
function checkLocalPaths(datasetDir: string, flags: TrainFlags): void {
  checkTrainingPaths(
    flags.dryRun
      ? { datasetDir }
      : { datasetDir, runDir: resolve(requiredOutput(flags)), resume: flags.resume },
  );
}

/** `toonlora train`: a dry run, or a run; returns the exit code. */
async function train(datasetDir: string, flags: TrainFlags): Promise<number> {
  checkOutputFlags(flags);
  const config = loadConfig({
    ...(flags.config ? { file: flags.config } : {}),
    overrides: trainingOverrides(flags),
  }).training;
  for (const warning of inertFlagWarnings(flags, config))
    process.stderr.write(`toonlora train: warning: ${warning}\n`);
  checkLocalPaths(datasetDir, flags); // the user's own paths first: a typo in one is the error, whatever the base
  // the base as the worker would load it, before anything runs: a dry run fails as the real run would
  await checkTrainingBase(config.baseModel);
  if (!flags.dryRun) checkBasePulled(config.baseModel); // a dry run only warns (below): it needs no weights
  await ensurePythonEnv(); // `setup` on demand: a no-op when trainer/requirements*.txt did not change
  if (flags.dryRun) {
    const notPulled = notPulledBaseWarning(config.baseModel);
    if (notPulled) process.stderr.write(`toonlora train: warning: ${notPulled}\n`);
    // the dataset and length as the worker's own scan reads them (fails on a missing or empty one, as a real run)
    const plan = await planTraining(datasetDir, config);
    // every dataset warning the run will print, in its words
    for (const warning of plan.warnings) process.stderr.write(`toonlora train: warning: ${warning}\n`);
    const resolved = {
      ...config,
      steps: plan.steps,
      lora: { ...config.lora, alpha: effectiveLoraAlpha(config.lora) },
    };
    const [count, gpuMemory] = await Promise.all([
      countLora(config),
      estimateTrainingMemory(estimatedConfig(config, plan.steps)),
    ]);
    printResult({ config: resolved, plan, ...count, gpuMemory }, flags, formatDryRun);
    return 0;
  }
  const runDir = resolve(requiredOutput(flags)); // every path the run reports is absolute, as the worker's are
  const inside = runInsideDatasetWarning(runDir, datasetDir);
  if (inside) process.stderr.write(`toonlora train: warning: ${inside}\n`);
  const progress = createProgressReporter({
    enabled: wantsProgressBar({ json: flags.json || flags.events === true }),
    label: 'train',
  });
  const onEvent = flags.events
    ? (event: WorkerEvent) => {
        const line = workerEventLine(event);
        if (line === null) progress.onEvent(event);
        else process.stdout.write(line);
      }
    : progress.onEvent;
  let stop: AbortSignal | undefined;
  try {
    const result = await withStopSignals(
      (signal, kill) => {
        stop = signal;
        return runTraining({
          datasetDir,
          runDir,
          config,
          resume: flags.resume,
          signal,
          kill,
          onEvent,
        });
      },
      {
        killOnSecondSignal: true,
        firstNotice:
          'toonlora train: stopping: saving a checkpoint… (Ctrl-C again to stop at once, losing the steps since the last checkpoint)',
        secondNotice: 'toonlora train: stopping at once…',
      },
    );
    progress.stop();
    const stoppedLate = result.status === 'done' && stop?.aborted === true;
    const human = formatResult(result, config.lora.algorithm, stoppedLate);
    // stdout closed (`| head`): the summary (the checkpoint to resume from) goes to stderr
    if (flags.events) writeFinal(resultLine(result), human);
    else printResult(result, flags, () => human);
    // a stop ends 1, as a stopped prep (also when it came during the last step and the run finished: the caller
    // asked to stop, so `train ... && next` does not go on); a second Ctrl-C (stopped at once) 130
    if (result.status === 'done') return stoppedLate ? 1 : 0;
    return result.forced ? EXIT_KILLED : 1;
  } finally {
    progress.stop();
  }
}
