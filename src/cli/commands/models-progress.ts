// src/cli/commands/models-progress.ts — how `toonlora models pull` reports a pull as it goes: a bar per file on a
// terminal, a line every 10% or 30 s otherwise, JSON lines with --json; and its notices (a file being checked or
// found corrupted, a retry, another process holding the model's lock) as lines or JSON.
import cliProgress from 'cli-progress';
import { formatBytes } from '../../format-bytes.js';
import { createProgressLines, type ProgressLines, progressBarLayout } from '../../models/progress-lines.js';
import {
  createProgressThrottle,
  formatPullJsonLine,
  type PullJsonLine,
  type PullNoticeKind,
  progressLine,
} from '../../models/pull-json-lines.js';
import type { PullOptions } from '../../models/pull.js';
import { wantsProgressBar } from '../output.js';

type PullHooks = Pick<
  PullOptions,
  | 'onFileStart'
  | 'onProgress'
  | 'onFileDone'
  | 'onVerifyStart'
  | 'onCorrupt'
  | 'onCorruptRemoved'
  | 'onWaitForLock'
  | 'onLockTakeOver'
  | 'onRetry'
  | 'onNotice'
>;

/** One line of `models pull` on stderr. */
export function say(line: string): void {
  process.stderr.write(`models pull: ${line}\n`);
}

/**
 * What pull says about files already on disk (hashing one takes a while; a bad one is moved aside) and about
 * another process downloading the same model (this one waits for it).
 */
function checkHooks(): Pick<
  PullOptions,
  'onVerifyStart' | 'onCorrupt' | 'onCorruptRemoved' | 'onWaitForLock' | 'onRetry' | 'onNotice'
> {
  return {
    onWaitForLock: (message) => say(message),
    onNotice: ({ message }) => say(message),
    onRetry: ({ modelId, file, reason, waitMs, attempt, attempts }) =>
      say(
        `${modelId}: ${file}: ${reason}; trying again in ${Math.ceil(waitMs / 1000)} s (try ${attempt} of ${attempts})`,
      ),
    onVerifyStart: ({ modelId, path, bytes }) => say(`${modelId}: checking ${path} (${formatBytes(bytes)})…`),
    onCorrupt: ({ modelId, path, movedTo, problems }) =>
      say(
        `${modelId}: ${path} is corrupted (${problems.join('; ')}); moved to ${movedTo}, downloading again`,
      ),
    onCorruptRemoved: ({ modelId, path, bytes }) => say(`${modelId}: ${corruptRemovedText(path, bytes)}`),
  };
}

/** The line said when a `.corrupt` copy is deleted after a verified download of its file. */
function corruptRemovedText(path: string, bytes: number): string {
  return `removed ${path} (${formatBytes(bytes)}), the corrupted copy a verified download replaced`;
}

/** Without a terminal: a line every 10% or 30 s of each file, and one when it is done. */
function lineHooks(): PullHooks {
  let lines: ProgressLines | undefined;
  return {
    ...checkHooks(),
    onFileStart: ({ modelId, file }) => {
      lines = createProgressLines(`models pull: ${modelId}: ${file}`);
    },
    onProgress: ({ receivedBytes, totalBytes }) => {
      const line = lines?.update(receivedBytes, totalBytes);
      if (line) process.stderr.write(`${line}\n`);
    },
    onFileDone: ({ modelId, file, bytes }) => say(`${modelId}: ${file} downloaded (${formatBytes(bytes)})`),
  };
}

/**
 * On a terminal: a bar per file, made at its first progress, once the size is known (or not). `stop` ends
 * the bar's line and gives the cursor and line wrapping back (cli-progress hides and turns them off); no bar
 * is drawn after it, so an error or a stop notice printed next starts on a line of its own.
 */
function barHooks(): PullHooks & { stop(): void } {
  let bar: cliProgress.SingleBar | undefined;
  let current = { modelId: '', file: '' };
  let stopped = false;
  const endBar = () => {
    bar?.stop();
    bar = undefined;
  };
  const checks = checkHooks();
  return {
    ...checks,
    onRetry: (info) => {
      endBar(); // the line goes below the bar, which starts again with the next try's progress
      checks.onRetry?.(info);
    },
    onNotice: (info) => {
      endBar();
      checks.onNotice?.(info);
    },
    onCorruptRemoved: (info) => {
      endBar(); // the file is done: its bar ends before the line
      checks.onCorruptRemoved?.(info);
    },
    onFileStart: ({ modelId, file }) => {
      endBar();
      current = { modelId, file };
    },
    onProgress: ({ receivedBytes, totalBytes }) => {
      if (stopped) return;
      if (!bar) {
        const { format, barsize } = progressBarLayout(
          current.modelId,
          current.file,
          totalBytes,
          process.stderr.columns || 80,
        );
        bar = new cliProgress.SingleBar(
          { format, barsize, stream: process.stderr, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(totalBytes ?? receivedBytes, 0, {
          done: formatBytes(0),
          size: formatBytes(totalBytes ?? 0),
        });
      }
      if (totalBytes) bar.setTotal(totalBytes);
      bar.update(receivedBytes, { done: formatBytes(receivedBytes), size: formatBytes(totalBytes ?? 0) });
    },
    stop: () => {
      stopped = true;
      endBar();
    },
  };
}

/** With --json: each event as one JSON line on stdout (pull-json-lines.ts), progress at most once a second per file. */
function jsonHooks(
  modelId: string,
  write: (line: PullJsonLine) => void = (line) => process.stdout.write(formatPullJsonLine(line)),
): PullHooks {
  let due = createProgressThrottle();
  const notice = (model: string | null, kind: PullNoticeKind, message: string) =>
    write({ type: 'notice', model, kind, message });
  return {
    onWaitForLock: (message) => notice(modelId, 'wait', message),
    onLockTakeOver: (message) => notice(modelId, 'lock', message),
    onNotice: ({ modelId, kind, message }) => notice(modelId, kind, message),
    onRetry: ({ modelId, file, reason, waitMs, attempt, attempts }) =>
      notice(
        modelId,
        'retry',
        `${file}: ${reason}; trying again in ${Math.ceil(waitMs / 1000)} s (try ${attempt} of ${attempts})`,
      ),
    onVerifyStart: ({ modelId, path, bytes }) =>
      notice(modelId, 'verify', `checking ${path} (${formatBytes(bytes)})`),
    onCorrupt: ({ modelId, path, movedTo, problems }) =>
      notice(
        modelId,
        'corrupt',
        `${path} is corrupted (${problems.join('; ')}); moved to ${movedTo}, downloading again`,
      ),
    onCorruptRemoved: ({ modelId, path, bytes }) =>
      notice(modelId, 'removed', corruptRemovedText(path, bytes)),
    onFileStart: ({ modelId, file, totalBytes }) => {
      due = createProgressThrottle();
      write({ type: 'file-start', model: modelId, file, totalBytes: totalBytes ?? null });
    },
    onProgress: ({ modelId, file, receivedBytes, totalBytes }) => {
      if (due(receivedBytes, totalBytes)) write(progressLine(modelId, file, receivedBytes, totalBytes));
    },
    onFileDone: ({ modelId, file, path, bytes }) =>
      write({ type: 'file-done', model: modelId, file, path, bytes }),
  };
}

/** Progress reporting for pulls: a bar per file on a TTY, occasional lines otherwise, JSON lines with --json. */
export function progressHooks(options: { json?: boolean }, modelId: string): PullHooks & { stop(): void } {
  if (options.json) return { ...jsonHooks(modelId), stop() {} };
  if (!wantsProgressBar(options)) return { ...lineHooks(), stop() {} };
  return barHooks();
}
