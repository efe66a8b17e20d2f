// src/models/progress-lines.ts — download progress as occasional log lines, for output that is not a
// terminal (CI logs, `| tee`): a line at each further 10% of a known size, or every 30 s, so a
// multi-GB pull shows it is alive. Time comes from an injected clock; the caller writes the lines.
import { formatBytes } from '../format-bytes.js';

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

/** The widest `{percentage}% {done}/{size}` a bar shows (`100% 999 MB/999 MB`), and the brackets around the bar. */
const NUMBERS_WIDTH = 4 + 1 + 13;
const MIN_BAR = 10;
const MAX_BAR = 40;

/** `text` cut to `width` characters from its start (`…` first), so a file's name stays readable. */
function keepTail(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? '…'.slice(0, Math.max(width, 0)) : `…${text.slice(text.length - (width - 1))}`;
}

/**
 * cli-progress format and bar width for one file's bar on a `columns`-wide terminal: the label (model id and
 * file, the file's path cut from its start when long), then the percentage and bytes, then the bar, all in
 * `columns - 1` characters, so nothing runs into the last column (cli-progress turns line wrap off). Without a
 * size, the bytes alone (no "27 B/0 B 0%").
 */
export function progressBarLayout(
  modelId: string,
  file: string,
  totalBytes: number | undefined,
  columns = 80,
): { format: string; barsize: number } {
  const width = Math.max(columns - 1, 20);
  if (!totalBytes) {
    const room = width - 1 - 6; // ` 999 MB`
    return { format: `${fitLabel(modelId, file, room)} {done}`, barsize: MIN_BAR };
  }
  const fixed = 1 + NUMBERS_WIDTH + 3; // ` ` numbers ` [` `]`
  const barsize = Math.min(MAX_BAR, Math.max(MIN_BAR, width - fixed - `${modelId} ${file}`.length));
  const label = fitLabel(modelId, file, width - fixed - barsize);
  return { format: `${label} {percentage}% {done}/{size} [{bar}]`, barsize };
}

/** A repo path cut to `width`: its first folder kept (`unet/…`, `vae/…` tell two same-named files apart), then the tail. */
function shortenPath(path: string, width: number): string {
  const slash = path.indexOf('/');
  const head = slash > 0 ? path.slice(0, slash + 1) : '';
  if (head === '' || head.length + 8 > width) return keepTail(path, width);
  return `${head}${keepTail(path.slice(head.length), width - head.length)}`;
}

function fitLabel(modelId: string, file: string, room: number): string {
  const whole = `${modelId} ${file}`;
  if (whole.length <= room) return whole;
  if (modelId.length + 1 + 8 <= room) return `${modelId} ${shortenPath(file, room - modelId.length - 1)}`;
  return keepTail(whole, room);
}
