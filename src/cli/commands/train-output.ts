// src/cli/commands/train-output.ts — what `toonlora train` prints: the dry run, a finished run's summary, a stopped
// run's (the checkpoint to resume from, the steps lost) and the exit code of a run stopped at once.
import type { TrainingConfig } from '../../schemas/config.js';
import type { CpuThreadsChoice } from '../../worker/cpu-threads.js';
import type { LoraCount } from '../../worker/lora-count.js';
import { describeMemoryEstimate, type MemoryEstimate } from '../../worker/memory-estimate.js';
import type { TrainingPlan, TrainResult } from '../../worker/train.js';

export interface DryRun extends LoraCount {
  readonly config: TrainingConfig;
  readonly plan: TrainingPlan;
  readonly gpuMemory: MemoryEstimate;
  /** The CPU thread count a run on the CPU uses (`threads` null: torch's own), and the dry run's words for it. */
  readonly cpuThreads: CpuThreadsChoice & { readonly text: string };
}

export function formatDryRun(dry: DryRun): string {
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
    `CPU threads (a run on the CPU): ${dry.cpuThreads.text}.`,
  ].join('\n');
}

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
    result.alreadyFinished
      ? `already finished at step ${result.steps}; nothing to do (its files are complete and were left as they are)`
      : '',
    stoppedLate
      ? 'stopped after the last step had started: the run finished it, and its files are complete (nothing to resume)'
      : '',
    result.alreadyFinished
      ? ''
      : result.lastLoss === null
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
