// src/jobs/remote/reach-log.ts — what `toonlora worker` prints while the server does not answer: its calls fail
// about once a second (event batches) or every few seconds (claims), so the first failure is printed, then at most
// one line every 30 s with the count and how long, and one line once a call goes through again. Pure: the clock is
// given.

/** How often at most a worker repeats that the server is still away. */
export const UNREACHABLE_LOG_EVERY_MS = 30_000;

/** `45 s`, `2 min 5 s`, `1 h 3 min`. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const min = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${min ? ` ${min} min` : ''}`;
}

const calls = (n: number) => `${n} failed call${n === 1 ? '' : 's'}`;

export class UnreachableLog {
  private since: number | undefined;
  private failures = 0;
  private lastLine = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly everyMs = UNREACHABLE_LOG_EVERY_MS,
  ) {}

  /** A call failed with `message`: the line to print (the first failure, then one per `everyMs`), or undefined. */
  failed(message: string): string | undefined {
    const now = this.now();
    this.failures += 1;
    if (this.since === undefined) {
      this.since = now;
      this.lastLine = now;
      return message;
    }
    if (now - this.lastLine < this.everyMs) return undefined;
    this.lastLine = now;
    return `still failing: ${calls(this.failures)} in ${duration(now - this.since)} (last: ${message})`;
  }

  /** A call went through: the line saying the server answers again after failures, or undefined when none failed. */
  reached(): string | undefined {
    if (this.since === undefined) return undefined;
    const line = `the server answers again, after ${calls(this.failures)} in ${duration(this.now() - this.since)}`;
    this.since = undefined;
    this.failures = 0;
    return line;
  }
}
