// src/models/progress-lines.ts — download progress as occasional log lines, for output that is not a
// terminal (CI logs, `| tee`): a line at each further 10% of a known size, or every 30 s, so a
// multi-GB pull shows it is alive. Time comes from an injected clock; the caller writes the lines.
import { formatBytes } from './model-status.js';

export interface ProgressLines {
  /** Feeds the bytes received so far; returns a line to print, or undefined when none is due. */
  update(receivedBytes: number, totalBytes: number | undefined): string | undefined;
}

/** A fresh tracker for one file; `label` starts each line (e.g. `models pull: u2net: u2net.onnx`). */
export function createProgressLines(
  label: string,
  now: () => number = Date.now,
  intervalMs = 30_000,
): ProgressLines {
  let lastTenth = 0;
  let lastAtMs = now();
  return {
    update(receivedBytes, totalBytes) {
      const tenth = totalBytes ? Math.floor((receivedBytes * 10) / totalBytes) : undefined;
      const stepDue = tenth !== undefined && tenth > lastTenth && tenth < 10;
      if (!stepDue && now() - lastAtMs < intervalMs) return undefined;
      lastTenth = tenth ?? lastTenth;
      lastAtMs = now();
      const percent = totalBytes ? ` (${Math.floor((receivedBytes * 100) / totalBytes)}%)` : '';
      const of = totalBytes ? ` of ${formatBytes(totalBytes)}` : '';
      return `${label}: ${formatBytes(receivedBytes)}${of}${percent}`;
    },
  };
}

/** cli-progress bar format: with a percentage when the size is known, the bytes alone when it is not. */
export function progressBarFormat(label: string, totalBytes: number | undefined): string {
  return totalBytes ? `${label} [{bar}] {percentage}% {done}/{size}` : `${label} {done}`;
}
