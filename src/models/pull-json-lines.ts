// src/models/pull-json-lines.ts — what `toonlora models pull --json` prints: one JSON object per line on
// stdout (a file starting, its progress at most once a second, it done, a notice such as a wait or a retry,
// then the result). The zod schemas are the contract; the throttle is pure (an injected clock).
import { z } from 'zod';

export const pulledFileSchema = z.object({
  file: z.string(),
  path: z.string(),
  /** `present`: was already on disk; `downloaded`: fetched by this pull. */
  status: z.enum(['present', 'downloaded']),
  bytes: z.number().int().nonnegative().optional(),
});
export type PulledFile = z.infer<typeof pulledFileSchema>;

export const pullResultSchema = z.object({
  id: z.string(),
  files: z.array(pulledFileSchema),
  /** A Hub repo outside the registry: the commit of the snapshot it is now in. */
  commit: z.string().optional(),
  /** A Hub repo outside the registry: the bytes of the files an SD1.5 load needs, present or downloaded. */
  totalBytes: z.number().int().nonnegative().optional(),
});
export type PullResult = z.infer<typeof pullResultSchema>;

const fileStartLineSchema = z.object({
  type: z.literal('file-start'),
  model: z.string(),
  file: z.string(),
  /** The registry's size for the file (exact or approximate) when it has one, else null; the server's comes with the progress. */
  totalBytes: z.number().int().nonnegative().nullable(),
});

const progressLineSchema = z.object({
  type: z.literal('progress'),
  model: z.string(),
  file: z.string(),
  receivedBytes: z.number().int().nonnegative(),
  /** null when the server did not say the size. */
  totalBytes: z.number().int().nonnegative().nullable(),
  /** 0-100, whole; null without a size. */
  percent: z.number().int().min(0).max(100).nullable(),
});

const fileDoneLineSchema = z.object({
  type: z.literal('file-done'),
  model: z.string(),
  file: z.string(),
  path: z.string(),
  bytes: z.number().int().nonnegative(),
});

const noticeLineSchema = z.object({
  type: z.literal('notice'),
  /** The model it is about; null for one about the pull as a whole. */
  model: z.string().nullable(),
  /** `wait`: another process holds the model's lock; `lock`: a lock left by a dead process was taken over; `retry`: a download is tried again; `verify`: a file on
   * disk is being hashed; `corrupt`: a bad file was moved aside; `removed`: an old `.corrupt` copy was deleted, or a Hub repo's `.part` files no pull resumes (an older commit of its revision); `refresh`: a Hub repo's
   * revision moved since its cached snapshot, the new one is pulled; `cached`: the cached snapshot is used unchecked. */
  kind: z.enum(['wait', 'lock', 'retry', 'verify', 'corrupt', 'removed', 'refresh', 'cached']),
  message: z.string(),
});

const resultLineSchema = z.object({
  type: z.literal('result'),
  pulled: z.array(pullResultSchema),
  failed: z.array(z.object({ id: z.string(), code: z.string(), message: z.string() })),
  /** The model being pulled when Ctrl-C / SIGTERM stopped the pull (exit 130). */
  stopped: z.string().optional(),
});

/** Every line `models pull --json` prints on stdout; the last is the `result`. */
/** What a `notice` line is about. */
export type PullNoticeKind = z.infer<typeof noticeLineSchema>['kind'];

export const pullJsonLineSchema = z.discriminatedUnion('type', [
  fileStartLineSchema,
  progressLineSchema,
  fileDoneLineSchema,
  noticeLineSchema,
  resultLineSchema,
]);
export type PullJsonLine = z.infer<typeof pullJsonLineSchema>;

/** One line of output: the object as compact JSON and a newline. */
export function formatPullJsonLine(line: PullJsonLine): string {
  return `${JSON.stringify(line)}\n`;
}

/** The default gap between two `progress` lines of one file. */
export const PROGRESS_LINE_INTERVAL_MS = 1000;

/**
 * A fresh throttle for one file's `progress` lines: the first update, then at most one per `intervalMs`, and
 * always the last (received = total), so a 4 GB file prints a few hundred lines, not one per chunk.
 */
export function createProgressThrottle(
  now: () => number = Date.now,
  intervalMs = PROGRESS_LINE_INTERVAL_MS,
): (receivedBytes: number, totalBytes: number | undefined) => boolean {
  let lastAtMs: number | undefined;
  let doneSent = false;
  return (receivedBytes, totalBytes) => {
    const done = totalBytes !== undefined && receivedBytes >= totalBytes;
    const due = lastAtMs === undefined || now() - lastAtMs >= intervalMs || (done && !doneSent);
    if (!due) return false;
    lastAtMs = now();
    doneSent ||= done;
    return true;
  };
}

/** A `progress` line for the bytes received so far. */
export function progressLine(
  model: string,
  file: string,
  receivedBytes: number,
  totalBytes: number | undefined,
): PullJsonLine {
  const percent = totalBytes ? Math.min(100, Math.floor((receivedBytes * 100) / totalBytes)) : null;
  return { type: 'progress', model, file, receivedBytes, totalBytes: totalBytes ?? null, percent };
}
