// web/src/components/model-pull-view.ts — what the Models page shows for a model and its pull (pure): the
// disk state in words, the current file's bytes and rate, the whole pull's files, and how a pull ended (an
// error as `toonlora models pull` prints it: `<message> [<code>]`), which pull button a row offers, what the
// Hub pull form says about the repo just submitted, and which Hub pull attempts stay listed.
import { formatBytes } from '../../../src/format-bytes.js';
import type { ModelPull, ModelRow } from '../../../src/schemas/models-api.js';
import { hubOnlyAt } from './hub-bases.js';

/** Whether a pull is still going (running, or stopping after a cancel). */
export function isPullActive(pull: Pick<ModelPull, 'status'> | null): boolean {
  return pull?.status === 'running' || pull?.status === 'stopping';
}

/**
 * The disk state column: complete, missing, or partial with the broken file when there is one, or with the
 * bytes on disk when a stopped pull (of this server or an earlier process) left files or `.part` files to resume;
 * a Hub repo pulled only at tags is `at v2 only` (the API's `missing`: main is not there, the tag is).
 */
export function diskStateText(
  row: Pick<ModelRow, 'state' | 'broken'> &
    Partial<Pick<ModelRow, 'downloadedBytes' | 'partBytes' | 'origin' | 'revisions'>>,
): string {
  const onlyAt = hubOnlyAt(row);
  if (onlyAt !== undefined) return `at ${onlyAt.join(', ')} only`;
  if (row.state === 'partial' && row.broken) return `partial (broken: ${row.broken})`;
  if (row.state === 'partial' && (row.downloadedBytes ?? 0) > 0) {
    return `partial — ${formatBytes(row.downloadedBytes ?? 0)} downloaded, Resume pull continues it`;
  }
  return row.state;
}

/**
 * The label of a row's pull button, or null for none: none while a pull runs or once the model is complete;
 * `Resume pull` when a stopped pull left bytes on disk (of this server or the CLI: a registry model or a Hub-id
 * base alike) or this server's last pull was cancelled / interrupted; else `Pull` (missing, broken, failed), and
 * `Pull main` on a Hub repo pulled only at tags (its Pull pulls main, which read as re-pulling the tag).
 */
export function pullButtonLabel(
  row: Pick<ModelRow, 'state' | 'downloadedBytes'> & Partial<Pick<ModelRow, 'origin' | 'revisions'>>,
  pull: Pick<ModelPull, 'status'> | null,
): string | null {
  if (isPullActive(pull) || row.state === 'complete') return null;
  const stopped = pull?.status === 'cancelled' || pull?.status === 'interrupted';
  if (stopped || (row.state === 'partial' && row.downloadedBytes > 0)) return 'Resume pull';
  return hubOnlyAt(row) === undefined ? 'Pull' : 'Pull main';
}

/** The progress of a pull under way: the bar's value (0..1, null while the file's size is unknown) and lines. */
export interface PullProgressView {
  fraction: number | null;
  /** `model.onnx: 131 kB of 262 kB at 2.1 MB/s`, or what the pull is doing between files. */
  fileText: string;
  /** `1 file done (308 B); about 379 MB in all` */
  totalText: string;
}

export function pullProgressView(pull: ModelPull): PullProgressView {
  const total = pull.fileTotalBytes;
  const rate = pull.bytesPerS === null ? '' : ` at ${formatBytes(Math.max(0, pull.bytesPerS))}/s`;
  const fileText =
    pull.status === 'stopping'
      ? 'Stopping…'
      : pull.file === null
        ? (pull.message ?? 'Starting…')
        : `${pull.file}: ${formatBytes(pull.fileReceivedBytes)}${total === null ? '' : ` of ${formatBytes(total)}`}${rate}`;
  const files = `${pull.filesDone} file${pull.filesDone === 1 ? '' : 's'} done (${formatBytes(pull.doneBytes)})`;
  return {
    fraction: total === null || total === 0 ? null : Math.min(1, pull.fileReceivedBytes / total),
    fileText,
    totalText: pull.modelBytes === null ? files : `${files}; about ${formatBytes(pull.modelBytes)} in all`,
  };
}

/** The words of a pull error naming a revision the Hub lacks ("revision v9.9 of owner/name is not on the Hub"). */
const REVISION_MISSING = /revision \S+ of [\w.-]+\/[\w.-]+ is not on the Hub/;

/**
 * A failed pull's error when it is a revision the Hub lacks: those words alone (the listing URL, the HF_ENDPOINT
 * hint and the error code are the CLI's, for an operator); null for any other error.
 */
export function revisionMissingText(pull: Pick<ModelPull, 'status' | 'error'>): string | null {
  if (pull.status !== 'failed' || !pull.error) return null;
  const words = REVISION_MISSING.exec(pull.error.message)?.[0];
  return words ? `${words}. Nothing was downloaded.` : null;
}

/**
 * Whether a model's card shows how `pull` ended: not a pull of a revision the Hub lacks, which says nothing of the
 * card's base (main) and is said by the Hub pull form that started it (it sat on the healthy main card, after a
 * reload too).
 */
export function cardShowsPullEnd(pull: Pick<ModelPull, 'status' | 'error'>): boolean {
  return revisionMissingText(pull) === null;
}

/** The line a pull that ended leaves, and whether it is a problem to show as one. */
export function pullEndView(pull: ModelPull): { text: string; warn: boolean } {
  switch (pull.status) {
    case 'succeeded':
      return {
        text:
          pull.filesDone === 0
            ? 'Pulled: every file was already on disk.'
            : // doneBytes is the whole model at the end (files found present and resumed bytes too), not this pull's
              `Pulled: ${pull.filesDone} file${pull.filesDone === 1 ? '' : 's'} downloaded; ${formatBytes(pull.doneBytes)} in all.`,
        warn: false,
      };
    case 'failed':
      return {
        text:
          revisionMissingText(pull) ??
          // the message alone: its code (`[TL_ERR_DOWNLOAD]`) is for API clients, in `error.code`
          (pull.error ? pull.error.message : 'The pull failed.'),
        warn: true,
      };
    default:
      return { text: pull.message ?? `The pull ${pull.status}.`, warn: pull.status !== 'cancelled' };
  }
}

/**
 * What the Hub pull form says about the repo just submitted, beside the form (its card is at the end of a long
 * list): `text` for the live region (changes only when the pull starts, ends or fails to start), `detail` the
 * running pull's progress (not announced), `warn` for a refusal or failure.
 */
export function hubPullOutcome(
  repo: string,
  pull: ModelPull | null,
  startError: string | null,
): { text: string; detail: string | null; warn: boolean; active: boolean; succeeded: boolean } {
  if (startError !== null)
    return { text: `${repo}: ${startError}`, detail: null, warn: true, active: false, succeeded: false };
  if (pull === null || isPullActive(pull)) {
    return {
      text: `Pulling ${repo}…`,
      detail: pull ? pullProgressView(pull).fileText : null,
      warn: false,
      active: true,
      succeeded: false,
    };
  }
  const end = pullEndView(pull);
  // an error names the repo itself ("owner/name: …"); a success or a stop does not
  const text = end.text.includes(repo) ? end.text : `${repo}: ${end.text}`;
  return { text, detail: null, warn: end.warn, active: false, succeeded: pull.status === 'succeeded' };
}

/**
 * The button of a Hub pull attempt's card (a repo pulled here with nothing on disk): none while it runs, else
 * `Retry` (a refusal, a 404 or 401 may be fixed on the Hub or by HF_TOKEN meanwhile).
 */
export function attemptButtonLabel(pull: Pick<ModelPull, 'status'> | null): string | null {
  return isPullActive(pull) ? null : 'Retry';
}

/**
 * The rows the Models page lists: all but the pull attempts the user dismissed (`dismissed`: repo -> the
 * `startedAt` of the pull dismissed; a later pull of the repo shows again).
 */
export function listedRows<R extends Pick<ModelRow, 'id' | 'pullAttempt'>>(
  rows: readonly R[],
  pullOf: (row: R) => Pick<ModelPull, 'status' | 'startedAt'> | null,
  dismissed: Readonly<Record<string, string>>,
): R[] {
  return rows.filter((row) => {
    const pull = pullOf(row);
    return !(row.pullAttempt && pull && !isPullActive(pull) && dismissed[row.id] === pull.startedAt);
  });
}
