// src/cli/commands/demo.ts — `toonlora demo`: the whole chain on the bundled example screenshots.
import type { Command } from 'commander';
import {
  DEMO_DEFAULT_STEPS,
  type DemoResult,
  type DemoStage,
  type DemoTimings,
  EXAMPLE_SCREENS_DIR,
  runDemo,
} from '../../demo/run-demo.js';
import { createProgressReporter, type ProgressReporter } from '../../worker/progress-bar.js';
import { numberFlag } from '../number-flag.js';
import { commandAction, printResult, progressMode } from '../output.js';

interface DemoFlags {
  out?: string;
  base?: string;
  steps?: string;
  json: boolean;
}

function formatStageSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** `setup 2.1 s, prep 14.0 s, train 1m52s, generate 9.3 s; 2m17s in all` */
export function formatDemoTimings(timings: DemoTimings): string {
  const stages = (['setup', 'prep', 'train', 'generate'] as const)
    .map((stage) => `${stage} ${formatStageSeconds(timings[stage])}`)
    .join(', ');
  return `${stages}; ${formatStageSeconds(timings.total)} in all`;
}

export function formatDemo(result: DemoResult): string {
  const verdicts = result.lora.compatibility.map((v) => `${v.loader} ${v.ok ? 'ok' : 'NOT ok'}`).join(', ');
  return [
    `demo finished in ${result.outDir}`,
    `  dataset:  ${result.prep.crops} crops from ${result.prep.files} screenshots -> ${result.prep.datasetDir}`,
    `            (every stage's image under ${result.outDir}/dataset/stages, per-file report in ${result.prep.manifest})`,
    `  training: ${result.training.steps} steps on ${result.baseModel}, last loss ${result.training.lastLoss?.toFixed(4) ?? '?'}`,
    `  LoRA:     ${result.training.kohyaFile} (${result.lora.format}, ${result.lora.modules} modules; ${verdicts})`,
    `  images:   ${result.images.grid ?? result.images.images.join(', ')}`,
    `  time:     ${formatDemoTimings(result.timings)}`,
    result.baseModel === 'tiny'
      ? '  (tiny random-weight base: the images are noise by design. For real ones: toonlora models pull anything-v5, then toonlora demo on a GPU machine.)'
      : '',
  ]
    .filter(Boolean)
    .join('\n');
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'run the whole chain on the bundled example screenshots, offline: set up the Python worker, prep ' +
        '(text removal, character crops, captions), train a LoRA, write the WebUI/kohya file, generate images',
    )
    .option('--out <dir>', 'folder for this run (default: demo-out/<date-time>, never an existing run)')
    .option('--inputs <dir>', `screenshots to use (default: ${EXAMPLE_SCREENS_DIR})`)
    .option(
      '--base <model>',
      'auto: anything-v5 when downloaded, else the tiny random-weight model (fast on a CPU, images are noise); or tiny, or a base id/file',
      'auto',
    )
    .option(
      '--steps <n>',
      `training steps (default: ${DEMO_DEFAULT_STEPS.tiny} on tiny, ${DEMO_DEFAULT_STEPS.real} on a real base)`,
    )
    .option('--json', 'print the result as JSON', false)
    .action(
      commandAction('demo', async (flags: DemoFlags & { inputs?: string }) => {
        // training and generation each get their own bar (or, without a terminal, their own progress lines)
        const mode = progressMode(flags);
        let progress: ProgressReporter = createProgressReporter({ mode, label: 'train' });
        const onStage = (stage: DemoStage) => {
          if (stage !== 'generate') return;
          progress.stop();
          progress = createProgressReporter({ mode, label: 'generate', loss: false });
        };
        try {
          const result = await runDemo({
            ...(flags.out ? { outDir: flags.out } : {}),
            ...(flags.inputs ? { inputsDir: flags.inputs } : {}),
            ...(flags.base ? { base: flags.base } : {}),
            ...(flags.steps ? { steps: numberFlag(flags.steps, '--steps') } : {}),
            onPrepProgress: (p) => {
              if (!flags.json)
                process.stderr.write(
                  `  ${p.status.padEnd(8)} ${p.source}${p.reason ? `: ${p.reason}` : ''}\n`,
                );
            },
            onWorkerEvent: (event) => progress.onEvent(event),
            onStage,
          });
          progress.stop();
          printResult(result, flags, formatDemo);
          return 0;
        } finally {
          progress.stop();
        }
      }),
    );
}
