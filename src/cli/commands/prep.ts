// src/cli/commands/prep.ts — `toonlora prep`: screenshots -> clean, captioned training set (kohya folder
// layout + manifest.json). Maps flags onto the prep config (flags win over --config), makes one
// runPrep call, draws a progress bar on a TTY (plain lines at most every 30 s without one: ../prep-progress.ts)
// and reports per-file results. Exit 0 when at least one
// crop was made and the run was not stopped, 1 when none or when stopped early (Ctrl-C / SIGTERM: the
// dataset then holds only the files done, so `prep ... && train ...` does not go on), 2 on bad usage.
import { basename, relative } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { type PrepResult, runPrep } from '../../prep/pipeline.js';
import { AUTO_FILES_PER_ANALYSER, MAX_AUTO_ANALYSERS } from '../../prep/analysis-pool.js';
import { captionerSchema, inpainterSchema, prepConfigSchema, segmenterSchema } from '../../schemas/config.js';
import { numberFlag } from '../number-flag.js';
import { commandAction, printResult, progressMode } from '../output.js';
import { createPrepProgress } from '../prep-progress.js';
import { withStopSignals } from '../../worker/stop-signals.js';
import { visibleText } from '../../visible-text.js';

interface PrepFlags {
  output: string;
  trigger?: string;
  class?: string;
  repeats?: string;
  resolution?: string;
  segmenter?: string;
  inpainter?: string;
  captioner?: string;
  characters?: string;
  workers?: string;
  keepDuplicates?: boolean;
  saveStages?: boolean;
  overwrite?: boolean;
  discardEdits?: boolean;
  config?: string;
  json?: boolean;
}

/** A path as the user would type it: relative to the working folder when inside it; control characters escaped. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return visibleText(rel && !rel.startsWith('..') ? rel : path);
}

/**
 * A file's reason without the leading `<file name>: ` that decode reasons carry (the line names the file already),
 * control characters escaped (a name in it may hold them).
 */
function reasonWithoutName(source: string, reason: string | null): string {
  const prefix = `${basename(source)}: `;
  return visibleText(reason?.startsWith(prefix) ? reason.slice(prefix.length) : (reason ?? ''));
}

function notProcessedText(count: number): string {
  return count === 0
    ? 'every file had started, so all were finished'
    : `${count} file${count === 1 ? ' was' : 's were'} not processed`;
}

/** Printed at once on the first Ctrl-C / SIGTERM (a second one ends the run at once, exit 130). */
export const PREP_STOP_NOTICE =
  'toonlora prep: stopping after the files in progress… (Ctrl-C again to stop at once; a previous dataset in the output folder is kept either way)';

/** ` , 2 quality warnings` for the summary line; empty when there are none. */
function warningsText(count: number): string {
  return count === 0 ? '' : `, ${count} quality warning${count === 1 ? '' : 's'} (listed under their files)`;
}

/** The human summary of a run: one line per file (its notes and crop warnings under it), then the totals. */
export function formatResult(result: PrepResult): string {
  const { summary } = result.manifest;
  const lines: string[] = [];
  for (const file of result.manifest.files) {
    const name = displayPath(file.source);
    if (file.status === 'ok') {
      lines.push(`  ok       ${name}: ${file.crops.length} crop${file.crops.length === 1 ? '' : 's'}`);
      if (file.reason) lines.push(`           (${visibleText(file.reason)})`);
      for (const crop of file.crops)
        for (const warning of crop.warnings)
          lines.push(`  warning  ${visibleText(`${basename(crop.image)}: ${warning}`)}`);
    } else {
      lines.push(`  ${file.status.padEnd(8)} ${name}: ${reasonWithoutName(file.source, file.reason)}`);
    }
  }
  lines.push(
    `${summary.crops} crop${summary.crops === 1 ? '' : 's'} from ${summary.files} file${summary.files === 1 ? '' : 's'} ` +
      `(${summary.ok} ok, ${summary.skipped} skipped, ${summary.error} failed)${warningsText(summary.warnings)}${result.manifest.cancelled ? `, cancelled: ${notProcessedText(result.notProcessed)}` : ''}`,
  );
  if (result.manifestPath === null && !result.keptPrevious) {
    lines.push(`dataset:  none written (stopped before the first crop); ${result.outDir} is left as it was`);
  } else if (result.manifestPath === null) {
    const why = result.manifest.cancelled ? 'the run was stopped' : 'no crop';
    lines.push(
      `dataset:  not replaced (${why}); the previous dataset and manifest in ${result.outDir} are kept as they were`,
    );
  } else {
    lines.push(`dataset:  ${result.datasetDir ?? 'none written (no crop)'}`);
    lines.push(`manifest: ${result.manifestPath}`);
  }
  return lines.join('\n');
}

export function registerPrep(program: Command): void {
  const d = prepConfigSchema.parse({});
  program
    .command('prep')
    .description(
      'screenshots -> clean, captioned training set: text removed, character cropped square, captioned; ' +
        'writes <out>/<repeats>_<trigger> <class>/name.png + name.txt (kohya layout) and <out>/manifest.json',
    )
    .argument(
      '<inputs...>',
      'image files and/or folders of images (walked recursively, following symlinks; hidden files, __MACOSX and folders holding an earlier prep output are left out)',
    )
    .requiredOption(
      '-o, --output <dir>',
      'output folder (must be empty or new unless --overwrite); the run is written to a hidden staging folder there and moved into place when it ends',
    )
    .option('--trigger <word>', `trigger word, always first in every caption (default: ${d.trigger})`)
    .option('--class <word>', `class word of the dataset folder name (default: ${d.classWord})`)
    .option('--repeats <n>', `kohya repeats per epoch, the folder prefix (default: ${d.repeats})`)
    .option('--resolution <px>', `square size of the crops, multiple of 8 (default: ${d.resolution})`)
    .option(
      '--segmenter <name>',
      `${segmenterSchema.options.join(' | ')}; auto = isnet-anime when downloaded, else classic (default: ${d.segmenter})`,
    )
    .option(
      '--inpainter <name>',
      `${inpainterSchema.options.join(' | ')}: what fills text over art; auto = lama (keeps screentone and lines) when downloaded, else opencv (smooth fill) (default: ${d.inpainter})`,
    )
    .option(
      '--captioner <name>',
      `${captionerSchema.options.join(' | ')}; auto = the best one whose weights are downloaded, else trigger + class words (default: ${d.captioner})`,
    )
    .option(
      '--characters <mode>',
      `largest (one crop per image) | all (one crop per character: person detector when downloaded, else separate mask parts) (default: ${d.characters})`,
    )
    .option(
      '--workers <n|auto>',
      `analysis worker threads, each with its own models; 1 = this thread alone, which still analyses several images at once with the networks on inference threads; auto = 1 on 2 cores, else one per core (at most ${MAX_AUTO_ANALYSERS}) once there are ${AUTO_FILES_PER_ANALYSER}+ images per thread (default: ${d.workers})`,
    )
    .option('--keep-duplicates', `keep near-duplicate crops (default: skip them, prep.dedupe = ${d.dedupe})`)
    .option(
      '--no-save-stages',
      'skip writing each stage image (text mask, text removed, character mask, crop) under <out>/stages/, kept for review by default (default: stages written)',
    )
    .option(
      '--overwrite',
      'replace a previous prep output in a non-empty output folder: only the files its manifest.json records; files you added there, and captions you edited there, stop the run, named (default: refuse)',
    )
    .option(
      '--discard-edits',
      'with --overwrite: replace the captions you edited in the previous output too (default: they stop the run, named)',
    )
    .option('--config <file>', 'TOML or JSON config file with a [prep] section; flags win over it')
    .option('--json', 'print the result (manifest included) as JSON', false)
    .action(
      commandAction('prep', async (inputs: string[], flags: PrepFlags) => {
        const config = loadConfig({
          ...(flags.config ? { file: flags.config } : {}),
          overrides: {
            prep: {
              trigger: flags.trigger,
              classWord: flags.class,
              repeats: numberFlag(flags.repeats, '--repeats'),
              resolution: numberFlag(flags.resolution, '--resolution'),
              segmenter: flags.segmenter,
              inpainter: flags.inpainter,
              captioner: flags.captioner,
              characters: flags.characters,
              workers:
                flags.workers === undefined || flags.workers === 'auto'
                  ? flags.workers
                  : numberFlag(flags.workers, '--workers'),
              dedupe: flags.keepDuplicates ? false : undefined,
            },
          },
        });
        const progress = createPrepProgress({ mode: progressMode(flags), displayPath });
        // Ctrl-C / SIGTERM stop between files: the manifest records the files done and `cancelled`; a
        // second one ends the process at once (exit 130; the next run clears the staging folder left).
        const result = await withStopSignals(
          (signal) =>
            runPrep({
              inputs,
              outDir: flags.output,
              config: config.prep,
              overwrite: flags.overwrite ?? false,
              discardEdits: flags.discardEdits ?? false,
              saveStages: flags.saveStages ?? true,
              onMessage: (line) => process.stderr.write(`${visibleText(line)}\n`),
              signal,
              ...progress.callbacks,
            }),
          { firstNotice: PREP_STOP_NOTICE },
        ).finally(() => progress.stop());
        printResult(result, flags, formatResult);
        return result.manifest.summary.crops > 0 && !result.manifest.cancelled ? 0 : 1;
      }),
    );
}
