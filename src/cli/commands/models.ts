// src/cli/commands/models.ts — `toonlora models list|pull|path`: list, download (pull) and locate the
// models toonlora uses. Flags map to src/models/ calls; this file only formats and draws progress.
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { isToonloraError } from '../../errors.js';
import { findModelDir, requireModelFile } from '../../models/cache.js';
import { describeModels, formatBytes, type ModelStatus } from '../../models/model-status.js';
import { type PullOptions, type PullResult, pullModel } from '../../models/pull.js';
import { getModelEntry, getModelFile, listModelIds } from '../../models/registry.js';
import { commandAction, printResult, reportError, wantsProgressBar } from '../output.js';

interface JsonOption {
  json?: boolean;
}

function formatList(models: ModelStatus[]): string {
  const rows = models.map((m) => [
    m.present ? 'yes' : 'no',
    m.id,
    formatBytes(m.sizeBytes),
    m.stages.join(','),
    m.present ? (m.path ?? '') : `missing: ${m.whenMissing}`,
  ]);
  const header = ['present', 'id', 'size', 'stages', 'path'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Progress reporting for pulls: a bar per file on a TTY, one line per file otherwise, nothing with --json. */
function progressHooks(
  options: JsonOption,
): Pick<PullOptions, 'onFileStart' | 'onProgress' | 'onFileDone'> & { stop(): void } {
  if (options.json) return { stop() {} };
  if (!wantsProgressBar(options)) {
    return {
      onFileDone: ({ modelId, file, bytes }) =>
        process.stderr.write(`models pull: ${modelId}: ${file} downloaded (${formatBytes(bytes)})\n`),
      stop() {},
    };
  }
  let bar: cliProgress.SingleBar | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    onFileStart: ({ modelId, file, totalBytes }) => {
      stop();
      bar = new cliProgress.SingleBar(
        {
          format: `${modelId} ${file} [{bar}] {percentage}% {done}/{size}`,
          stream: process.stderr,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(totalBytes ?? 1, 0, { done: formatBytes(0), size: formatBytes(totalBytes ?? 0) });
    },
    onProgress: ({ receivedBytes, totalBytes }) => {
      if (!bar) return;
      if (totalBytes) bar.setTotal(totalBytes);
      bar.update(receivedBytes, { done: formatBytes(receivedBytes), size: formatBytes(totalBytes ?? 0) });
    },
    stop,
  };
}

async function pullAction(ids: string[], options: JsonOption): Promise<number> {
  const wanted =
    ids.length === 1 && ids[0] === 'all'
      ? describeModels()
          .filter((m) => !m.present)
          .map((m) => m.id)
      : ids;
  for (const id of wanted) getModelEntry(id); // unknown ids are usage errors before any download
  const results: PullResult[] = [];
  const failures: { id: string; code: string; message: string }[] = [];
  for (const id of wanted) {
    const hooks = progressHooks(options);
    try {
      results.push(await pullModel(id, hooks));
    } catch (error) {
      if (!isToonloraError(error)) throw error;
      failures.push({ id, code: error.code, message: error.message });
      if (!options.json) reportError(error, 'models pull', {});
    } finally {
      hooks.stop();
    }
  }
  printResult({ pulled: results, failed: failures }, options, (r) =>
    [
      ...r.pulled.map(
        (p) => `${p.id}: ${p.files.every((f) => f.status === 'present') ? 'already present' : 'ok'}`,
      ),
      wanted.length === 0 ? 'every model is already present' : '',
    ]
      .filter(Boolean)
      .join('\n'),
  );
  return failures.length > 0 ? 1 : 0;
}

function pathAction(id: string, options: JsonOption & { file?: string }): number {
  const entry = getModelEntry(id);
  const isSnapshot = entry.source.kind === 'huggingface' && entry.source.snapshot !== undefined;
  const path =
    isSnapshot && options.file === undefined
      ? (findModelDir(id) ?? requireModelFile(id))
      : requireModelFile(id, options.file);
  printResult({ id, file: getModelFile(entry, options.file).path, path }, options, (r) => r.path);
  return 0;
}

export function registerModels(program: Command): void {
  const models = program
    .command('models')
    .description('list, download (pull) and locate the models toonlora uses')
    .addHelpText('after', `\nModel ids: ${listModelIds().join(', ')}`);

  models
    .command('list')
    .description('every model: present or not, size, the stages that use it, and what is lost without it')
    .option('--json', 'print the result as JSON', false)
    .action(
      commandAction('models list', (options: JsonOption) => {
        printResult(describeModels(), options, formatList);
        return 0;
      }),
    );

  models
    .command('pull')
    .description(
      'download models (resumable, checksum-verified); `all` pulls every missing one. Release files go to ' +
        '$TOONLORA_HOME/models/<id>/, Hugging Face files to the HF cache ($HF_HOME, honours HF_ENDPOINT, HF_TOKEN)',
    )
    .argument('<ids...>', `model ids or \`all\` (${listModelIds().join(', ')})`)
    .option('--json', 'print the result as JSON (no progress bar)', false)
    .action(commandAction('models pull', pullAction));

  models
    .command('path')
    .description(
      'print where a model is on disk (its folder for diffusers / transformers layouts); exit 1 if missing',
    )
    .argument('<id>', 'model id')
    .option('--file <path>', 'a file of the model other than its main one (e.g. selected_tags.csv)')
    .option('--json', 'print the result as JSON', false)
    .action(commandAction('models path', pathAction));
}
