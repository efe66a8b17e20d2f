// src/cli/commands/models.ts — `toonlora models list|pull|path|rm`: list, download (pull), locate and remove the
// models toonlora uses. Flags map to src/models/ calls; this file only formats (models-progress.ts draws a
// pull's progress, models-table.ts fits the list to the terminal's width).
import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { EXIT_INTERRUPTED, isToonloraError, ToonloraError } from '../../errors.js';
import { findModelDir, requireModelFile } from '../../models/cache.js';
import { formatBytes } from '../../format-bytes.js';
import {
  describeModels,
  type ModelStatus,
  onlyAtRevisions,
  wrongSizeFile,
} from '../../models/model-status.js';
import { DownloadStopped } from '../../models/download.js';
import { formatPullJsonLine } from '../../models/pull-json-lines.js';
import { findPulledHubModelDir } from '../../models/hub-snapshot.js';
import {
  checkRevisionIds,
  isHubRepoIdOutsideRegistry,
  readPullNames,
  resolvePullIds,
} from '../../models/pull-ids.js';
import { type PullResult, pullModel } from '../../models/pull.js';
import { type RemovedModel, removeModel, removeTargetOf, targetName } from '../../models/remove.js';
import { getModelEntry, getModelFile, listModelIds } from '../../models/registry.js';
import { withStopSignals } from '../../worker/stop-signals.js';
import { commandAction, printResult, reportError } from '../output.js';
import { progressHooks, say } from './models-progress.js';
import { fitNotes, fitTable, outputColumns } from './models-table.js';

interface JsonOption {
  json?: boolean;
}

/** `--revision REV` of `models pull` / `models path`: a Hub repo outside the registry at a branch, tag or sha. */
interface RevisionOption {
  revision?: string;
}

function brokenText(m: ModelStatus): string {
  return `broken: ${m.broken}. Fix: toonlora models pull ${m.id}`;
}

/** A missing model's cell: what lacks it, and the `.part` files a stopped pull left, which the next one resumes. */
function missingText(m: ModelStatus): string {
  const parts = m.partBytes
    ? `; ${formatBytes(m.partBytes)} downloaded, \`toonlora models pull ${m.id}\` resumes`
    : '';
  return `missing: ${m.whenMissing}${parts}`;
}

/** The bases a Hub repo pulled at other refs than main is besides main: `; also --base owner/name@v1.0, …`. */
function revisionsText(m: ModelStatus, after = ''): string {
  const others = (m.revisions ?? []).filter((ref) => ref !== 'main');
  return others.length === 0 ? '' : ` (--base ${others.map((ref) => `${m.id}@${ref}`).join(', ')}${after})`;
}

/** The present cell: a Hub repo pulled only at other refs than main is not `yes` (its bare id, main, is not there). */
function presentText(m: ModelStatus): string {
  const onlyAt = onlyAtRevisions(m);
  if (onlyAt !== undefined) return `at ${onlyAt.join(', ')} only`;
  return m.present ? 'yes' : m.broken ? 'broken' : m.partBytes ? 'partial' : 'no';
}

/** The path cell of a present model: where, the other bases it is, and for one pulled only at refs, not main. */
function presentPathText(m: ModelStatus): string {
  const main = onlyAtRevisions(m) === undefined ? '' : `; main is not pulled: toonlora models pull ${m.id}`;
  return `${m.path ?? ''}${revisionsText(m, main)}`;
}

/** The widest license cell `models list` shows whole; a longer license is cut (licenseCell). */
const LICENSE_CELL_CHARS = 24;

/**
 * The license cell: a long license shows its first part, cut before a `; ` qualification (anime-person-detector's
 * AGPL-3.0 claim) or else before its first ` (`, and a `*`; the whole text goes in a note under the table, so one long
 * license does not widen every line.
 */
export function licenseCell(license: string): { cell: string; note?: string } {
  const head = license.split('; ')[0] ?? license;
  const short = head.length <= LICENSE_CELL_CHARS ? head : (head.split(' (')[0] ?? head);
  return short === license ? { cell: license } : { cell: `${short} *`, note: license };
}

/** The table `models list` prints, fitted to the terminal's width (models-table.ts); `--json` prints the models. */
function formatList(models: ModelStatus[]): string {
  const notes = models.flatMap((m) => {
    const { note } = licenseCell(m.license);
    return note ? [`* ${m.id} license: ${note}`] : [];
  });
  const rows = models.map((m) => [
    presentText(m),
    m.id,
    formatBytes(m.sizeBytes),
    licenseCell(m.license).cell,
    m.stages.join(','),
    m.present ? presentPathText(m) : m.broken ? brokenText(m) : missingText(m),
  ]);
  const header = ['present', 'id', 'size', 'license', 'stages', 'path'];
  const columns = outputColumns(process.stdout);
  const table = fitTable(header, rows, columns);
  return [...table, ...(notes.length ? ['', ...fitNotes(notes, columns)] : [])].join('\n');
}

/** The line a stopped pull ends with: the `.part` file kept (and resumed by the next pull), if any. */
function stoppedText(id: string, error: unknown): string {
  const part = error instanceof DownloadStopped ? error.partPath : undefined;
  const bytes = part !== undefined && existsSync(part) ? statSync(part).size : 0;
  return bytes > 0
    ? `stopped; ${id}: the partial file ${part} (${formatBytes(bytes)}) is kept and the next pull resumes it`
    : `stopped; ${id}: nothing partial was kept`;
}

/** The human summary: a line per model pulled, or that there was nothing to pull. */
function pullSummary(pulled: readonly PullResult[], wantedCount: number): string {
  const lines = pulled.map(
    (p) => `${p.id}: ${p.files.every((f) => f.status === 'present') ? 'already present' : 'ok'}`,
  );
  if (wantedCount === 0) lines.push('every model is already present');
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

async function pullAction(names: string[], given: JsonOption & RevisionOption): Promise<number> {
  // a pasted Hub address is its owner/name, at the revision it shows (…/tree/v1.0)
  const { ids, revision } = readPullNames(names, given.revision);
  const options = revision === undefined ? given : { ...given, revision };
  checkRevisionIds(ids, options.revision);
  // unknown names are usage errors before any download
  const wanted = ids.includes('all')
    ? resolvePullIds(
        ids,
        describeModels()
          .filter((m) => !m.present)
          .map((m) => m.id),
      )
    : resolvePullIds(ids, []);
  const results: PullResult[] = [];
  const failures: { id: string; code: string; message: string }[] = [];
  let stoppedAt: string | undefined;
  // Ctrl-C / SIGTERM: the bar is stopped at once (cursor and line wrapping back), the download is aborted
  // (its .part file kept), the lock released, and the pull ends with one line and exit 130.
  await withStopSignals(async (stop) => {
    for (const id of wanted) {
      const hooks = progressHooks(options, id);
      const onStop = () => hooks.stop();
      stop.addEventListener('abort', onStop);
      try {
        const revision = options.revision === undefined ? {} : { revision: options.revision };
        results.push(await pullModel(id, { ...hooks, ...revision, signal: stop }));
      } catch (error) {
        hooks.stop(); // the bar's line ends before any message
        if (stop.aborted) {
          stoppedAt = id;
          say(stoppedText(id, error));
          break;
        }
        // an error of no known kind is reported as such, and `pull all` goes on with the next id
        failures.push(
          isToonloraError(error)
            ? { id, code: error.code, message: error.message }
            : { id, code: 'TL_ERR_INTERNAL', message: String(error) },
        );
        if (!options.json) reportError(error, 'models pull', {});
      } finally {
        hooks.stop();
        stop.removeEventListener('abort', onStop);
      }
    }
  });
  const result = {
    pulled: results,
    failed: failures,
    ...(stoppedAt === undefined ? {} : { stopped: stoppedAt }),
  };
  // with --json, the last of the JSON lines (one object per line, as the progress before it)
  if (options.json) process.stdout.write(formatPullJsonLine({ type: 'result', ...result }));
  else process.stdout.write(pullSummary(result.pulled, wanted.length));
  if (stoppedAt !== undefined) return EXIT_INTERRUPTED;
  return failures.length > 0 ? 1 : 0;
}

/** `models path owner/name` of an SD1.5 base pulled by Hub id: its snapshot folder, or exit 1 with the pull. */
function hubPathAction(repo: string, options: JsonOption & RevisionOption): number {
  const path = findPulledHubModelDir(repo, { revision: options.revision });
  if (path === undefined) {
    const at = options.revision === undefined ? '' : ` --revision ${options.revision}`;
    throw new ToonloraError(
      'TL_ERR_MODEL_MISSING',
      `${repo}: no complete SD1.5 snapshot${at ? ` of ${options.revision}` : ''} in the Hugging Face cache. ` +
        `Run: toonlora models pull ${repo}${at}`,
      { details: { model: repo } },
    );
  }
  printResult({ id: repo, file: '', path }, options, (r) => r.path);
  return 0;
}

function pathAction(name: string, given: JsonOption & RevisionOption & { file?: string }): number {
  // `owner/name@REV` (as `models list` names a base) is `owner/name --revision REV`
  const { ids, revision } = readPullNames([name], given.revision, 'models path');
  const id = ids[0] ?? name;
  const options = { ...given, revision };
  checkRevisionIds([id], options.revision);
  if (isHubRepoIdOutsideRegistry(id)) return hubPathAction(id, options);
  const entry = getModelEntry(id);
  const isSnapshot = entry.source.kind === 'huggingface' && entry.source.snapshot !== undefined;
  const path =
    isSnapshot && options.file === undefined
      ? (findModelDir(id) ?? requireModelFile(id))
      : requireModelFile(id, options.file);
  // what `models list` calls broken is not a path to use: exit 1, as for a missing file
  const broken = wrongSizeFile(id, {}, options.file);
  if (broken !== undefined) {
    throw new ToonloraError(
      'TL_ERR_MODEL_MISSING',
      `${id}: ${broken} (models list shows it broken). Run: toonlora models pull ${id}`,
      { details: { model: id, file: getModelFile(entry, options.file).path } },
    );
  }
  printResult({ id, file: getModelFile(entry, options.file).path, path }, options, (r) => r.path);
  return 0;
}

/** What `models rm` did: each model removed, each not present, each refused or failed, and the bytes freed. */
interface RemoveResult {
  removed: RemovedModel[];
  notPresent: { id: string; message: string }[];
  failed: { id: string; code: string; message: string }[];
  freedBytes: number;
}

function removeSummary(result: RemoveResult): string {
  const lines = [
    ...result.removed.map(
      (r) => `${r.id}: removed, ${formatBytes(r.freedBytes)} freed (${r.paths.join(', ')})`,
    ),
    ...result.notPresent.map((m) => m.message),
  ];
  if (result.removed.length > 1) lines.push(`${formatBytes(result.freedBytes)} freed in all`);
  return lines.join('\n');
}

/**
 * `models rm <ids...>`: every name is read first (an unknown one is a usage error before anything is removed);
 * then each model is removed; one not present, or whose pull is running, is said and the rest go on (exit 1).
 */
async function rmAction(names: string[], options: JsonOption): Promise<number> {
  const targets = names.map(removeTargetOf);
  const unique = [...new Map(targets.map((t) => [targetName(t), t])).values()];
  const result: RemoveResult = { removed: [], notPresent: [], failed: [], freedBytes: 0 };
  for (const target of unique) {
    try {
      const removed = await removeModel(target);
      result.removed.push(removed);
      result.freedBytes += removed.freedBytes;
    } catch (error) {
      if (!isToonloraError(error)) throw error;
      const id = targetName(target);
      if (error.code === 'TL_ERR_MODEL_MISSING') result.notPresent.push({ id, message: error.message });
      else {
        result.failed.push({ id, code: error.code, message: error.message });
        if (!options.json) reportError(error, 'models rm', {});
      }
    }
  }
  printResult(result, options, removeSummary);
  return result.notPresent.length + result.failed.length > 0 ? 1 : 0;
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
    .argument(
      '<ids...>',
      `model ids (${listModelIds().join(', ')}), a Hugging Face repo (\`owner/name\`: a registry model's, or any ` +
        'SD1.5 base in diffusers layout, for `train --base owner/name`; `owner/name@REV` is the repo at revision REV, ' +
        'as --revision REV; its huggingface.co address too, where /tree/<rev> is the revision), or `all` (every ' +
        'missing one, with any ids given beside it)',
    )
    .option(
      '--revision <rev>',
      'with one Hub repo outside the registry: the branch, tag (v1.0, refs/pr/1) or commit sha to pull (default ' +
        'main), kept as huggingface_hub keeps it (refs/<rev>); train on it with --base owner/name@<rev>. A cached branch or tag is checked against the Hub: if it moved, the new ' +
        'snapshot is pulled (the old one stays); offline, the cached one is used and the pull says so',
    )
    .option(
      '--json',
      'print JSON lines on stdout: file-start, progress (at most 1/s per file), file-done, notice, then the result',
      false,
    )
    .action(commandAction('models pull', pullAction));

  models
    .command('path')
    .description(
      'print where a model is on disk (its folder for diffusers / transformers layouts); exit 1 if missing',
    )
    .argument(
      '<id>',
      'model id, or the Hub id (`owner/name`, `owner/name@REV` as --revision REV) of an SD1.5 base pulled by it',
    )
    .option('--file <path>', 'a file of the model other than its main one (e.g. selected_tags.csv)')
    .option(
      '--revision <rev>',
      'of a Hub id: the snapshot of that branch, tag or sha (`models pull --revision`)',
    )
    .option('--json', 'print the result as JSON', false)
    .action(commandAction('models path', pathAction));

  models
    .command('rm')
    .description(
      "remove models from disk, printing the bytes freed: a registry model's files under $TOONLORA_HOME/models/<id>/ " +
        'and its Hugging Face repo folder; a Hub repo `owner/name` whole, or `owner/name@REV` that revision only (its ' +
        'snapshot and the blobs no other revision uses). Refused while a pull of it runs; exit 1 if one is not present',
    )
    .argument('<ids...>', 'model ids, their Hub repos, or Hub repos `owner/name` / `owner/name@REV`')
    .option(
      '--json',
      'print the result as JSON: removed (id, paths, freedBytes), notPresent, failed, freedBytes',
      false,
    )
    .action(commandAction('models rm', rmAction));
}
