// src/worker/python-worker.ts — starts and drives the Python worker (`python -m toonlora_trainer <command>`):
// spawn, line framing of stdout, validation of every line and of each command's `done` payload
// (src/worker/protocol.ts, parseDone), cancellation with SIGTERM (the worker checkpoints, then exits) or SIGKILL
// of its process group (stop at once), and a clear error when it dies: exit code + last stderr lines.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { resolveVenvPath, venvPythonPath } from '../env/python-env.js';
import { type ErrorCode, ToonloraError } from '../errors.js';
import { absolutePathEnv } from '../models/cache-paths.js';
import {
  type CommandRequest,
  type DoneEvent,
  encodeRequest,
  type ErrorEvent,
  parseWorkerLine,
  type WorkerCommand,
  type WorkerEvent,
  type WorkerRequest,
} from './protocol.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The Python package's folder: the worker runs with it as cwd and on PYTHONPATH. */
export const TRAINER_DIR = join(REPO_ROOT, 'trainer');
const STDERR_TAIL_LINES = 20;

/** How to start the worker; tests swap in a fake worker script. */
export interface WorkerSpawn {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The worker's Python: the interpreter of the venv `toonlora setup` made (`$TOONLORA_VENV`, else
 * `trainer/.venv`) — the same rule setup and doctor use.
 * @throws TL_ERR_PYTHON_ENV naming the path and `toonlora setup` when it does not exist.
 */
export function resolveWorkerPython(env: NodeJS.ProcessEnv = process.env): string {
  const python = venvPythonPath(resolveVenvPath(undefined, env, REPO_ROOT));
  if (!existsSync(python)) {
    throw new ToonloraError(
      'TL_ERR_PYTHON_ENV',
      `${python}: the Python worker environment is missing. Run: toonlora setup (or set TOONLORA_VENV to an existing one).`,
      { details: { python } },
    );
  }
  return python;
}

/** The real worker for `command`. */
export function defaultWorkerSpawn(command: WorkerCommand): WorkerSpawn {
  return {
    command: resolveWorkerPython(),
    args: ['-m', 'toonlora_trainer', command],
    cwd: TRAINER_DIR,
    env: { PYTHONPATH: TRAINER_DIR, PYTHONUNBUFFERED: '1' },
  };
}

/**
 * The worker's environment: ours, with each path variable (TOONLORA_HOME, HF_HOME, HF_HUB_CACHE, U2NET_HOME, ...)
 * made absolute as the CLI reads it (the worker runs in trainer/, where a relative one names another folder), then
 * the spawn's own variables.
 */
export function workerEnv(
  spec: Pick<WorkerSpawn, 'env'>,
  env: NodeJS.ProcessEnv = process.env,
  homeDir: string = homedir(),
): NodeJS.ProcessEnv {
  return { ...env, ...absolutePathEnv(env, homeDir), ...spec.env };
}

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const ERROR_CODE_FOR_KIND: Record<ErrorEvent['kind'], ErrorCode> = {
  config: 'TL_ERR_CONFIG',
  input_missing: 'TL_ERR_INPUT_NOT_FOUND',
  input_invalid: 'TL_ERR_INPUT_INVALID',
  lora_format: 'TL_ERR_LORA_FORMAT',
  model_missing: 'TL_ERR_MODEL_MISSING',
  nan_loss: 'TL_ERR_TRAINING_DIVERGED',
  out_of_memory: 'TL_ERR_GPU_OUT_OF_MEMORY',
  output_write: 'TL_ERR_OUTPUT_WRITE',
  protocol: 'TL_ERR_WORKER_PROTOCOL',
  internal: 'TL_ERR_WORKER',
};

/** The ToonloraError for a worker `error` event (its message is already written for the user). */
export function errorFromEvent(event: ErrorEvent, label: string): ToonloraError {
  return new ToonloraError(ERROR_CODE_FOR_KIND[event.kind], event.message, {
    details: { worker: label, kind: event.kind },
  });
}

/**
 * One running worker process. Every stdout line must be a protocol event: the first line that is not
 * stops the process and `exited` rejects with TL_ERR_WORKER_PROTOCOL.
 */
/** Workers started and not yet exited: killLiveWorkers ends them when the CLI must exit at once. */
const liveWorkers = new Set<WorkerProcess>();

/**
 * SIGKILLs every running worker's process group. Workers run in their own group (a terminal's Ctrl-C does not
 * reach them), so a CLI that exits at once (a second Ctrl-C) calls this first, or they would run on unseen.
 */
export function killLiveWorkers(): void {
  for (const worker of liveWorkers) worker.kill();
}

/** Stops every running worker's process group (SIGSTOP), as the terminal's Ctrl-Z stops the CLI. */
export function pauseLiveWorkers(): void {
  for (const worker of liveWorkers) worker.signalGroup('SIGSTOP');
}

/** Continues every running worker's process group (SIGCONT), as `fg` / `bg` continue the CLI. */
export function resumeLiveWorkers(): void {
  for (const worker of liveWorkers) worker.signalGroup('SIGCONT');
}

// Job control: a worker's own process group does not get the terminal's Ctrl-Z (SIGTSTP) nor the shell's
// SIGCONT, so while workers run the CLI passes them on: it stops the workers, then itself (a SIGTSTP
// listener replaces Node's default stop), and continues them when it is continued.
function onTerminalStop(): void {
  pauseLiveWorkers();
  process.kill(process.pid, 'SIGSTOP');
}

function watchJobControl(on: boolean): void {
  if (process.platform === 'win32') return;
  for (const [signal, handler] of [
    ['SIGTSTP', onTerminalStop],
    ['SIGCONT', resumeLiveWorkers],
  ] as const) {
    if (on) process.on(signal, handler);
    else process.off(signal, handler);
  }
}

function addLiveWorker(worker: WorkerProcess): void {
  if (liveWorkers.size === 0) watchJobControl(true);
  liveWorkers.add(worker);
}

function removeLiveWorker(worker: WorkerProcess): void {
  if (liveWorkers.delete(worker) && liveWorkers.size === 0) watchJobControl(false);
}

/** How long a worker asked to stop (Ctrl-C / SIGTERM) gets to finish its step and save before it is killed. */
export const STOP_GRACE_MS = 60_000;

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
        rejectExit(
          new ToonloraError(
            'TL_ERR_PYTHON_ENV',
            `${spec.command}: cannot start the Python worker (${error.code ?? error.message}). Run: toonlora setup`,
            { cause: error },
          ),
        );
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
  diedError(exit: WorkerExit, context = ''): ToonloraError {
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
      `python worker (${this.label}) ${how} before finishing.${oom}${context ? ` ${context}` : ''}` +
        (tail.length ? `${tailLabel}\n${tail.join('\n')}` : ' It wrote nothing on stderr.'),
      { details: { exitCode: exit.code, signal: exit.signal } },
    );
  }
}

/**
 * TL_ERR_WORKER for a worker stopped on request (Ctrl-C / SIGTERM) that ended without saying it saved anything
 * (`killed`: a second Ctrl-C, or it outlived its grace time). Training turns this into a result naming the
 * checkpoint on disk (worker/train.ts).
 */
function stoppedError(label: string, killed: boolean, graceMs?: number): ToonloraError {
  const grace =
    graceMs === undefined
      ? ''
      : ` It did not stop within the ${graceMs / 1000} s grace after the stop request, so it was killed.`;
  return new ToonloraError(
    'TL_ERR_WORKER',
    `${label} was stopped (Ctrl-C / SIGTERM) before it finished; nothing was written for it.${grace}`,
    {
      details: { worker: label, stopped: true, killed, ...(graceMs === undefined ? {} : { graceMs }) },
    },
  );
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
  readonly diedContext?: () => string;
  /** How long the worker gets after `signal` aborts before it is killed (default STOP_GRACE_MS; tests shorten it). */
  readonly stopGraceMs?: number;
}

export type WorkerOutcome =
  | { readonly status: 'done'; readonly done: DoneEvent; readonly events: readonly WorkerEvent[] }
  | {
      readonly status: 'cancelled';
      readonly step: number;
      readonly checkpoint: string | null;
      readonly events: readonly WorkerEvent[];
    };

/**
 * Runs one worker command to its end.
 * @throws the mapped ToonloraError for a worker `error` event, TL_ERR_WORKER_PROTOCOL for a bad line,
 *   TL_ERR_WORKER when the process dies without `done`, TL_ERR_PYTHON_ENV when it cannot start.
 */
export async function runWorker(options: RunWorkerOptions): Promise<WorkerOutcome> {
  const events: WorkerEvent[] = [];
  const { command } = options.request;
  const worker = new WorkerProcess(options.spawn ?? defaultWorkerSpawn(command), command, (event) => {
    events.push(event);
    options.onEvent?.(event);
  });
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
    const exit = await worker.exited;
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
    throw worker.diedError(exit, options.diedContext?.() ?? '');
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    options.kill?.removeEventListener('abort', onKill);
  }
}

/**
 * The payload of a command's `done`, checked against that command's schema (protocol.ts `doneSchemaByCommand`).
 * `outcome` is runWorker's, or a warm worker's `done` for one request.
 * @throws TL_ERR_WORKER_PROTOCOL naming `label` (the command) when the worker answered `cancelled` instead, or when
 *   its `done` lacks a field, has one of the wrong type (a non-finite number arrives as null) or one this side does
 *   not know: naming the field, what was expected and what arrived.
 */
export function parseDone<T>(schema: z.ZodType<T>, outcome: WorkerOutcome | DoneEvent, label: string): T {
  const done = 'status' in outcome ? (outcome.status === 'done' ? outcome.done : undefined) : outcome;
  const advice = 'trainer/ and the CLI may be from different versions; run toonlora setup.';
  if (done === undefined) {
    throw new ToonloraError(
      'TL_ERR_WORKER_PROTOCOL',
      `python worker (${label}) answered "cancelled" where the protocol has only "done" for this command. ${advice}`,
      { details: { worker: label } },
    );
  }
  const result = schema.safeParse(done);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || '(event)';
  const got = issue?.path.reduce<unknown>(
    (value, key) => (value as Record<PropertyKey, unknown> | undefined)?.[key],
    done,
  );
  throw new ToonloraError(
    'TL_ERR_WORKER_PROTOCOL',
    `python worker (${label}) sent a "done" event that does not match the protocol: ${field}: ` +
      `${issue?.message ?? 'invalid'} (got ${JSON.stringify(got) ?? 'nothing'}). ${advice}`,
    { details: { worker: label, field } },
  );
}
