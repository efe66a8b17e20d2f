// src/cli/commands/train-flags.ts — `toonlora train`'s flags: what they set in the config, which combinations are
// refused, and which the resolved config makes inert.
import { ToonloraError } from '../../errors.js';
import { bothTrainingLengthsMessage, type TrainingConfig } from '../../schemas/config.js';
import { numberFlag as num } from '../number-flag.js';

export interface TrainFlags {
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

/** The resolution the demo trains the tiny base at (src/demo/run-demo.ts's tiny plan): seconds a step on a CPU. */
const TINY_QUICK_RESOLUTION = 64;

/**
 * `--base tiny` (random weights, for checking that training runs) at a real run's size: it takes a real run's time
 * (hours on a CPU) and its LoRA is of no use, while the demo trains tiny at 64 px. Undefined at 64 px.
 */
export function tinyBaseWarning(config: TrainingConfig): string | undefined {
  if (config.baseModel !== 'tiny' || config.resolution <= TINY_QUICK_RESOLUTION) return undefined;
  const length = config.epochs === undefined ? `${config.steps} steps` : `${config.epochs} epochs`;
  return (
    `--base tiny (random weights) only checks that training runs: its LoRA is of no use for images. This run trains it ` +
    `at ${config.resolution} px for ${length}, as long as a real run (hours on a CPU); toonlora demo trains it at ` +
    `${TINY_QUICK_RESOLUTION} px. For a quick check set resolution = ${TINY_QUICK_RESOLUTION} under [training] in a ` +
    `--config file and give --steps 60.`
  );
}

/**
 * Warnings on the flags given: those the resolved config makes inert (`--te-lr` without text-encoder training, ...),
 * and `--base tiny` at a real run's size (tinyBaseWarning).
 */
export function inertFlagWarnings(flags: TrainFlags, config: TrainingConfig): string[] {
  const warnings: string[] = [];
  const tiny = tinyBaseWarning(config);
  if (tiny) warnings.push(tiny);
  if (flags.teLr !== undefined && !config.trainTextEncoder) {
    warnings.push('--te-lr has no effect: the text encoder is not trained. Add --train-text-encoder.');
  }
  if (flags.lokrFactor !== undefined && config.lora.algorithm !== 'lokr') {
    warnings.push('--lokr-factor has no effect: this run trains a LoRA, not a LoKr. Add --lokr.');
  }
  return warnings;
}
