// src/worker/python-worker.ts — starts and drives the Python worker (`python -m toonlora_trainer <command>`):
// spawn, line framing of stdout, validation of every line and of each command's `done` payload
// (src/worker/protocol.ts, parseDone), cancellation with SIGTERM (the worker checkpoints, then exits) or SIGKILL
// of its process group (stop at once), and a clear error when it dies: exit code + last stderr lines.
// How it is started lives in worker-spawn.ts, the registry of running workers in live-workers.ts, what a run's
// end means in worker-outcome.ts; every name is re-exported here.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { TextWithFix } from '../error-fix.js';
import { ToonloraError } from '../errors.js';
import { errorCodeInWords, fsErrorCode } from '../fs-error-words.js';
import { addLiveWorker, removeLiveWorker } from './live-workers.js';
import {
  type CommandRequest,
  encodeRequest,
  parseWorkerLine,
  type WorkerEvent,
  type WorkerRequest,
} from './protocol.js';
import { SilenceWatchdog, type WorkerSilenceLimits, workerSilenceLimitsSchema } from './silence-watchdog.js';
import { errorFromEvent, stoppedError, type WorkerOutcome } from './worker-outcome.js';
import { defaultWorkerSpawn, type WorkerSpawn, workerEnv } from './worker-spawn.js';

export { killLiveWorkers, pauseLiveWorkers, resumeLiveWorkers } from './live-workers.js';
export { errorFromEvent, parseDone, type WorkerOutcome } from './worker-outcome.js';
export {
  defaultWorkerSpawn,
  resolveWorkerPython,
  TRAINER_DIR,
  type WorkerSpawn,
  workerEnv,
} from './worker-spawn.js';

const STDERR_TAIL_LINES = 20;

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** How long a worker asked to stop (Ctrl-C / SIGTERM) gets to finish its step and save before it is killed. */
export const STOP_GRACE_MS = 60_000;

/**
 * The error for a worker `command` that could not be started: the reason in words (`ENOENT: no such file or
 * folder`), and what to do: `toonlora setup` makes the Python environment, TOONLORA_VENV names another one.
 */
export function workerStartError(command: string, error: Error): ToonloraError {
  const reason = errorCodeInWords(error);
  const missing = fsErrorCode(error) === 'ENOENT';
  const fix = missing
    ? ': the Python worker environment is missing. Run: toonlora setup (or set TOONLORA_VENV to an existing one).'
    : '. Run: toonlora setup to make the Python worker environment again (or set TOONLORA_VENV to a working one).';
  return new ToonloraError(
    'TL_ERR_PYTHON_ENV',
    `${command}: cannot start the Python worker (${reason})${fix}`,
    {
      cause: error,
    },
  );
}

/**
 * One running worker process. Every stdout line must be a protocol event: the first line that is not
 * stops the process and `exited` rejects with TL_ERR_WORKER_PROTOCOL.
 */
export class WorkerProcess {
  readonly label: string;
  readonly exited: Promise<WorkerExit>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly stderrLines: string[] = [];
  private protocolError: ToonloraError | undefined;

  constructor(spec: WorkerSpawn, label: string, onEvent: (event: WorkerEvent) => void) {
    this.label = label;
    this.child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: workerEnv(spec),
      stdio: 'pipe',
      // Its own process group: kill() ends it with whatever it started (torch.compile's compiler workers), and a
      // terminal's Ctrl-C reaches only this process, which decides what the worker gets (terminate / kill); Ctrl-Z
      // and `fg` are passed on (watchJobControl).
      detached: true,
    });
    if (this.child.pid !== undefined) addLiveWorker(this);
    this.child.stdin.on('error', () => {}); // the worker may exit before reading everything
    createInterface({ input: this.child.stderr, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
      this.stderrLines.push(line);
      if (this.stderrLines.length > STDERR_TAIL_LINES) this.stderrLines.shift();
    });
    const stdout = createInterface({ input: this.child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
    stdout.on('line', (line) => this.handleLine(line, onEvent));
    const stdoutClosed = new Promise<void>((done) => stdout.once('close', done));
    this.exited = new Promise<WorkerExit>((resolveExit, rejectExit) => {
      this.child.once('error', (error: NodeJS.ErrnoException) => {
        rejectExit(workerStartError(spec.command, error));
      });
      this.child.once('close', (code, signal) => {
        removeLiveWorker(this);
        void stdoutClosed.then(() =>
          this.protocolError ? rejectExit(this.protocolError) : resolveExit({ code, signal }),
        );
      });
    });
  }

  private handleLine(line: string, onEvent: (event: WorkerEvent) => void): void {
    if (this.protocolError || line.trim() === '') return;
    const parsed = parseWorkerLine(line);
    if (parsed.ok) {
      onEvent(parsed.event);
      return;
    }
    this.protocolError = new ToonloraError(
      'TL_ERR_WORKER_PROTOCOL',
      `python worker (${this.label}) wrote a line that is not a protocol event: ${parsed.reason}. ` +
        'trainer/ and the CLI may be from different versions; run toonlora setup.',
    );
    this.child.kill('SIGKILL');
  }

  /** Writes one request line to the worker's stdin (validated first). */
  send(request: WorkerRequest): void {
    this.child.stdin.write(encodeRequest(request));
  }

  closeInput(): void {
    this.child.stdin.end();
  }

  /** Set when terminate()'s grace ran out and the worker was killed. */
  killedAfterGrace = false;

  /** Asks the worker to stop: it checkpoints (training) and exits; SIGKILL after `graceMs`. */
  terminate(graceMs = STOP_GRACE_MS): void {
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.killedAfterGrace = true;
      this.kill();
    }, graceMs);
    timer.unref();
    void this.exited.finally(() => clearTimeout(timer)).catch(() => {});
  }

  /** Ends the worker at once: SIGKILL to its process group (nothing is saved); `exited` resolves when it is gone. */
  kill(): void {
    this.signalGroup('SIGKILL');
  }

  /** Sends `signal` to the worker's process group (the worker and what it started), else to the worker. */
  signalGroup(signal: NodeJS.Signals): void {
    const { pid } = this.child;
    try {
      if (pid !== undefined) process.kill(-pid, signal);
    } catch {
      this.child.kill(signal); // the group is already gone, or the platform has none
    }
  }

  /** The last stderr lines, for error messages. */
  stderrTail(): string[] {
    return [...this.stderrLines];
  }

  /**
   * TL_ERR_WORKER for a worker that ended on its own without `done` (toonlora neither stopped nor killed it): the
   * exit code or signal, `context` (what the caller knows of its state: training names the checkpoint on disk),
   * and the stderr tail. A SIGKILL toonlora did not send is most likely the kernel's out-of-memory killer, and the
   * stderr lines before it are then rarely the cause, so the message says both.
   */
  diedError(exit: WorkerExit, context: TextWithFix = { text: '' }): ToonloraError {
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const oom =
      exit.signal === 'SIGKILL'
        ? " toonlora did not send that signal: most likely the machine ran out of memory and the kernel's " +
          'out-of-memory killer ended it (`dmesg` or `journalctl -k` then shows "Out of memory"), or another program killed it.'
        : '';
    const tail = this.stderrTail();
    const tailLabel =
      exit.signal === 'SIGKILL'
        ? ' Its last stderr lines (written before it was killed; they need not be the cause):'
        : ' Last stderr lines:';
    return new ToonloraError(
      'TL_ERR_WORKER',
      `python worker (${this.label}) ${how} before finishing.${oom}${context.text ? ` ${context.text}` : ''}` +
        (tail.length ? `${tailLabel}\n${tail.join('\n')}` : ' It wrote nothing on stderr.'),
      { details: { exitCode: exit.code, signal: exit.signal }, fix: context.fix },
    );
  }
}

export interface RunWorkerOptions {
  /** Starts the worker subcommand `request.command`. */
  readonly request: CommandRequest;
  /** Every event as it arrives (progress bars, logs, captions). */
  readonly onEvent?: (event: WorkerEvent) => void;
  /** Aborting sends SIGTERM: training saves a checkpoint, then the worker exits. */
  readonly signal?: AbortSignal;
  /** Aborting kills the worker's process group at once (SIGKILL): nothing more is saved. */
  readonly kill?: AbortSignal;
  /** Replaces the real worker (tests). */
  readonly spawn?: WorkerSpawn;
  /**
   * What to add to the message of a worker that died on its own (killed by the OOM killer, crashed), e.g. the
   * checkpoint on disk a training run can resume from; called once it has exited.
   */
  readonly diedContext?: () => TextWithFix;
  /** How long the worker gets after `signal` aborts before it is killed (default STOP_GRACE_MS; tests shorten it). */
  readonly stopGraceMs?: number;
  /**
   * A worker alive but stuck (a hung CUDA call, a deadlock): `limits.loadS` of silence allowed until its first
   * `progress` event, `limits.requestS` between two events after it. Past it, the worker's process group is killed
   * and runWorker throws `error(silentS, cold)` at once (a process stuck in the GPU driver may outlive SIGKILL).
   * Left out, the worker is waited for however long it takes.
   */
  readonly silence?: {
    readonly limits: WorkerSilenceLimits;
    readonly error: (silentS: number, cold: boolean) => Error;
  };
}

/**
 * Runs one worker command to its end.
 * @throws the mapped ToonloraError for a worker `error` event, TL_ERR_WORKER_PROTOCOL for a bad line,
 *   TL_ERR_WORKER when the process dies without `done`, TL_ERR_PYTHON_ENV when it cannot start.
 */
export async function runWorker(options: RunWorkerOptions): Promise<WorkerOutcome> {
  const events: WorkerEvent[] = [];
  const { command } = options.request;
  const silence = options.silence;
  const limits = silence && workerSilenceLimitsSchema.parse(silence.limits); // before any spawn
  let cold = true;
  let failSilent: (error: Error) => void = () => {};
  const silent = new Promise<never>((_, reject) => {
    failSilent = reject;
  });
  silent.catch(() => {}); // only raced below
  const watchdog = new SilenceWatchdog((limitMs) => {
    worker.kill(); // the whole process group
    if (silence) failSilent(silence.error(limitMs / 1000, cold)); // armed only with it
  });
  const worker = new WorkerProcess(options.spawn ?? defaultWorkerSpawn(command), command, (event) => {
    events.push(event);
    if (limits && cold && event.type === 'progress') {
      cold = false;
      watchdog.arm(limits.requestS * 1000);
    } else watchdog.touch(); // any line is a sign of life; a stuck worker sends none
    options.onEvent?.(event);
  });
  if (limits) watchdog.arm(limits.loadS * 1000);
  const graceMs = options.stopGraceMs ?? STOP_GRACE_MS;
  const onAbort = () => worker.terminate(graceMs);
  let killed = false;
  const onKill = () => {
    killed = true;
    worker.kill();
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.kill?.aborted) onKill();
  options.kill?.addEventListener('abort', onKill, { once: true });
  try {
    worker.send(options.request);
    worker.closeInput();
    const exit = await Promise.race([worker.exited, silent]);
    const last = events.at(-1);
    if (last?.type === 'error') throw errorFromEvent(last, worker.label);
    if (last?.type === 'done') return { status: 'done', done: last, events };
    if (last?.type === 'cancelled') {
      return { status: 'cancelled', step: last.step, checkpoint: last.checkpoint, events };
    }
    if (options.signal?.aborted || killed)
      throw stoppedError(
        worker.label,
        killed || exit.signal === 'SIGKILL',
        !killed && worker.killedAfterGrace ? graceMs : undefined,
      );
    throw worker.diedError(exit, options.diedContext?.());
  } finally {
    watchdog.disarm();
    options.signal?.removeEventListener('abort', onAbort);
    options.kill?.removeEventListener('abort', onKill);
  }
}
