// src/cli/commands/train.ts — `toonlora train`: train a LoRA on a prepared dataset with the Python worker (the command
// and its run; its flags are train-flags.ts, what it prints train-output.ts)
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { ensurePythonEnv } from '../../env/python-env.js';
import { EXIT_INTERRUPTED, isToonloraError, ToonloraError } from '../../errors.js';
import { BASE_MODEL_HELP } from '../../models/base-model.js';
import { effectiveLoraAlpha, trainingConfigSchema } from '../../schemas/config.js';
import { checkBasePulled, checkTrainingBase, notPulledBaseWarning } from '../../worker/base-check.js';
import { chooseCpuThreads, cpuThreadsOverride, describeCpuThreads } from '../../worker/cpu-threads.js';
import { countLora } from '../../worker/lora-count.js';
import { estimatedConfig, estimateTrainingMemory } from '../../worker/memory-estimate.js';
import { createProgressReporter } from '../../worker/progress-bar.js';
import type { WorkerEvent } from '../../worker/protocol.js';
import { runInsideDatasetWarning } from '../../worker/run-folder.js';
import { withStopSignals } from '../../worker/stop-signals.js';
import { checkTrainingPaths, planTraining, runTraining } from '../../worker/train.js';
import { errorLine, resultLine, workerEventLine } from '../../worker/train-events.js';
import { commandAction, printResult, progressMode, writeFinal } from '../output.js';
import { type StopBeforeStart, stopBeforeStart } from '../stop-before-start.js';
import { checkOutputFlags, inertFlagWarnings, type TrainFlags, trainingOverrides } from './train-flags.js';
import { formatDryRun, formatResult } from './train-output.js';
import { visibleLines } from '../../visible-text.js';

/** The `error` a failed run's last --events line carries: what `--json` prints under `error`. */
function errorDocument(error: unknown): { code: string; message: string } {
  if (isToonloraError(error)) return { code: error.code, message: error.message, ...error.details };
  return { code: 'TL_ERR_INTERNAL', message: String(error) };
}

export function registerTrain(program: Command): void {
  const d = trainingConfigSchema.parse({});
  program
    .command('train')
    .description(
      'train a LoRA on a prepared dataset (kohya folders `<repeats>_<trigger> <class>/`) with the Python worker',
    )
    .argument(
      '<dataset-dir>',
      'dataset folder written by `toonlora prep` (or any kohya-layout folder), or one `<repeats>_<trigger> <class>` folder in it (the `dataset:` path prep prints), trained alone with its repeats',
    )
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
  const checks = stopBeforeStart('train'); // Ctrl-C before the run starts: said, not silent
  try {
    return await checkThenTrain(datasetDir, flags, checks);
  } finally {
    checks.remove();
  }
}

/** train's checks, then the dry run or the run (`checks`' stop handlers are removed before the run's own). */
async function checkThenTrain(
  datasetDir: string,
  flags: TrainFlags,
  checks: StopBeforeStart,
): Promise<number> {
  checkOutputFlags(flags);
  const config = loadConfig({
    ...(flags.config ? { file: flags.config } : {}),
    overrides: trainingOverrides(flags),
  }).training;
  for (const warning of inertFlagWarnings(flags, config))
    process.stderr.write(`toonlora train: warning: ${warning}\n`);
  checkLocalPaths(datasetDir, flags); // the user's own paths first: a typo in one is the error, whatever the base
  cpuThreadsOverride(process.env); // a bad TOONLORA_CPU_THREADS now, not after the worker loaded the base
  // the base as the worker would load it, before anything runs: a dry run fails as the real run would
  await checkTrainingBase(config.baseModel);
  if (!flags.dryRun) checkBasePulled(config.baseModel); // a dry run only warns (below): it needs no weights
  // `setup` on demand: a no-op when trainer/requirements*.txt did not change; a stop while it installs says so
  await checks.duringPythonEnv((onInstall) => ensurePythonEnv({ onInstall }));
  if (flags.dryRun) {
    const notPulled = notPulledBaseWarning(config.baseModel);
    if (notPulled) process.stderr.write(`toonlora train: warning: ${visibleLines(notPulled)}\n`);
    // an -o given to the dry run gets the real run's warning about it
    const inside = flags.output ? runInsideDatasetWarning(resolve(flags.output), datasetDir) : null;
    if (inside) process.stderr.write(`toonlora train: warning: ${visibleLines(inside)}\n`);
    // the dataset and length as the worker's own scan reads them (fails on a missing or empty one, as a real run)
    const plan = await planTraining(datasetDir, config);
    // every dataset warning the run will print, in its words
    for (const warning of plan.warnings)
      process.stderr.write(`toonlora train: warning: ${visibleLines(warning)}\n`);
    const resolved = {
      ...config,
      steps: plan.steps,
      lora: { ...config.lora, alpha: effectiveLoraAlpha(config.lora) },
    };
    const [count, gpuMemory] = await Promise.all([
      countLora(config),
      estimateTrainingMemory(estimatedConfig(config, plan.steps)),
    ]);
    // the count a run on the CPU uses (on a GPU torch keeps its own), as the worker chooses it (cpu_threads.py)
    const threads = chooseCpuThreads('cpu', count.lora.unetParams, process.env);
    const cpuThreads = { ...threads, text: describeCpuThreads(threads, process.env, availableParallelism()) };
    printResult({ config: resolved, plan, ...count, gpuMemory, cpuThreads }, flags, formatDryRun);
    return 0;
  }
  const runDir = resolve(requiredOutput(flags)); // every path the run reports is absolute, as the worker's are
  const inside = runInsideDatasetWarning(runDir, datasetDir);
  if (inside) process.stderr.write(`toonlora train: warning: ${visibleLines(inside)}\n`);
  const progress = createProgressReporter({
    mode: progressMode({ json: flags.json || flags.events === true }),
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
  checks.remove();
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
    return result.forced ? EXIT_INTERRUPTED : 1;
  } finally {
    progress.stop();
  }
}
