// src/cli/commands/serve.ts — `toonlora serve`: start the REST API and web app (maps flags to
// startServer's options; the token comes from TOONLORA_TOKEN, never from a flag or a file).
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { EXIT_INTERRUPTED, ToonloraError } from '../../errors.js';
import { KILL_WAIT_MS, SHUTDOWN_GRACE_MS } from '../../jobs/embedded-queue.js';
import { toonloraHome } from '../../models/cache.js';
import { SERVE_DEFAULTS } from '../../schemas/serve-defaults.js';
import { DEFAULT_WEB_DIR } from '../../server/app.js';
import { createServeServices } from '../../server/serve-services.js';
import { plainHttpWarning, readServeTls } from '../../server/serve-tls.js';
import {
  checkListenHost,
  checkToken,
  type StoppedJob,
  startServer,
  stopServer,
} from '../../server/server.js';
import { cpuThreadsOverride } from '../../worker/cpu-threads.js';
import { killLiveWorkers } from '../../worker/python-worker.js';
import { decimalNumber } from '../number-flag.js';
import { commandAction, printResult } from '../output.js';
import {
  addWorkerTimeoutOptions,
  type WorkerTimeoutFlags,
  workerSilenceFromFlags,
} from '../worker-timeout-flags.js';
import { buildWebApp, webBuildNeed } from './serve-build.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

interface ServeFlags extends WorkerTimeoutFlags {
  host: string;
  port: string;
  maxQueued: string;
  tlsCert?: string;
  tlsKey?: string;
  data?: string;
  log: boolean;
  json: boolean;
  remoteWorkers: boolean;
  workerLease: string;
}

/** `--port` text as a port number: plain decimal text (numberFlag's rule; Number() would also take `0x1F40`). */
export function parsePort(value: string): number {
  const port = decimalNumber(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `--port: expected an integer 0-65535, got ${JSON.stringify(value)}. Set --port ${SERVE_DEFAULTS.port}.`,
    );
  }
  return port;
}

/** `--max-queued` text as a count of jobs: a plain decimal integer, 1 or more. */
export function parseMaxQueued(value: string): number {
  const count = decimalNumber(value);
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `--max-queued: expected an integer of 1 or more, got ${JSON.stringify(value)}. Set --max-queued ${SERVE_DEFAULTS.maxQueued}.`,
    );
  }
  return count;
}

/** `--worker-lease` text as milliseconds: a positive plain decimal number of seconds. */
export function parseWorkerLease(value: string): number {
  const lease = decimalNumber(value);
  if (!(lease > 0)) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `--worker-lease: expected a number of seconds above 0, got ${JSON.stringify(value)}. Set --worker-lease ${SERVE_DEFAULTS.workerLeaseS}.`,
    );
  }
  return Math.round(lease * 1000);
}

/** Builds web/dist on first use and again when web/src (or what it imports) changed since, e.g. after
 * `git pull` (vite, a few seconds), or when it is React's development build, so a checkout serves its own web app,
 * always as a production build whatever NODE_ENV serve runs under. */
function ensureWebAppBuilt(): void {
  const root = resolve(DEFAULT_WEB_DIR, '..', '..');
  const need = webBuildNeed(DEFAULT_WEB_DIR, root);
  if (need === undefined) return;
  const action =
    need === 'missing'
      ? 'building the web app'
      : `rebuilding the web app, ${need === 'stale' ? 'its sources changed' : 'the present one is a development build'}`;
  process.stderr.write(`toonlora serve: ${action} (npm run build:web)...\n`);
  const build = buildWebApp(root);
  if (!build.ok) {
    process.stderr.write(
      `${build.stderr}toonlora serve: the web app did not build; ` +
        `${need !== 'missing' ? 'serving the previous build' : 'the API still runs'}. Try: npm run build:web\n`,
    );
  }
}

async function serve(flags: ServeFlags): Promise<number> {
  // usage errors first: a stale web app takes seconds to rebuild, for nothing if the flags are wrong
  const port = parsePort(flags.port);
  const maxQueued = parseMaxQueued(flags.maxQueued);
  const workerSilence = workerSilenceFromFlags(flags);
  const leaseMs = parseWorkerLease(flags.workerLease);
  const token = process.env.TOONLORA_TOKEN?.trim() || undefined;
  checkToken(token);
  cpuThreadsOverride(process.env); // a bad TOONLORA_CPU_THREADS now, not as each generate / train job's failure
  checkListenHost(flags.host, token);
  const tls = readServeTls(flags.tlsCert, flags.tlsKey);
  const dataDir = resolve(flags.data ?? join(toonloraHome(), 'server'));
  ensureWebAppBuilt();
  const { app, url } = await startServer({
    host: flags.host,
    port,
    dataDir,
    token,
    log: flags.log,
    maxQueued,
    ...(flags.remoteWorkers ? { remoteWorkers: { leaseMs, jobs: SERVE_DEFAULTS.remoteJobs } } : {}),
    ...(tls ? { tls } : {}),
    ...createServeServices(workerSilence),
  });
  const warning = plainHttpWarning(flags.host, tls !== undefined);
  if (warning) process.stderr.write(warning);
  printResult(
    { url, host: flags.host, dataDir, auth: Boolean(token) },
    flags,
    (result) =>
      `toonlora serving ${result.url}` +
      // fastify answers with a loopback URL for 0.0.0.0 / ::; say where it really listens.
      (new URL(result.url).hostname.replace(/^\[|\]$/g, '') === result.host
        ? ''
        : ` (listening on ${result.host})`) +
      ` (data: ${result.dataDir}${result.auth ? ', token required' : ''}). Ctrl+C stops.`,
  );
  return serveUntilStopped(app);
}

/** What serveUntilStopped listens to and acts through (the process's own unless a test passes others). */
export interface StopIo {
  /** Emits SIGINT / SIGTERM. */
  readonly signals: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
  readonly write: (text: string) => void;
  /** Ends every Python worker process at once (their own process groups do not get the terminal's Ctrl-C). */
  readonly killWorkers: () => void;
  /** Ends the process now (a third Ctrl-C, or a forced stop that still hangs). */
  readonly exit: (code: number) => void;
}

const PROCESS_IO: StopIo = {
  signals: process,
  write: (text) => process.stderr.write(text),
  killWorkers: killLiveWorkers,
  exit: (code) => process.exit(code),
};

/** After a forced stop (second Ctrl-C), how long the rest of the close may take before the process just exits. */
const FORCED_EXIT_MS = KILL_WAIT_MS + 5_000;

/** The line `serve` prints for each job its shutdown stopped: what became of it and what to do next. `remote`: a
 * train job a remote GPU worker held or was to claim (its checkpoint is the server's copy or on that worker). */
export function describeStoppedJob({ job, message }: StoppedJob, remote = false): string {
  const at =
    job.progress && job.progress.step > 0 ? ` at step ${job.progress.step}/${job.progress.total}` : '';
  const head = `toonlora serve: ${job.kind} job ${job.id}`;
  if (job.status !== 'interrupted') return `${head} ended ${job.status}${message ? ` (${message})` : ''}.`;
  const why = message ? ` (${message})` : '';
  if (job.kind !== 'train') {
    return `${head} interrupted${at}${why}; start it again after the next start (only train jobs resume).`;
  }
  const resume = `(the Resume button on the Train page, or POST /api/jobs/${job.id}/resume)`;
  if (remote) {
    return (
      `${head} interrupted${at}${why}; after the next start, Resume continues from the newest checkpoint a worker ` +
      `uploaded to this server, or from a newer one on the worker that ran it (when that worker claims it) ${resume}.`
    );
  }
  return job.checkpoint
    ? `${head} interrupted${at}${why}; resumable from its checkpoint ${basename(job.checkpoint)} after the next start ${resume}.`
    : `${head} interrupted${at}${why}, before its first checkpoint; resuming it after the next start trains from step 1 ${resume}.`;
}

/** What a shutdown does to the train jobs of remote GPU workers (`workers`: each one's worker, null while none had
 * claimed it): not waited for, and what each worker does next. */
export function remoteStopText(workers: readonly (string | null)[]): string {
  const held = workers.filter((worker): worker is string => worker !== null);
  const waiting = workers.length - held.length;
  const parts: string[] = [];
  if (held.length > 0) {
    const on =
      held.length === 1
        ? `The train job on worker ${held[0]} is`
        : `The train jobs on workers ${held.join(', ')} are`;
    parts.push(
      `${on} not waited for: recorded interrupted now. The worker trains on while it cannot report; once this ` +
        'server is back it finds its lease gone and stops with a checkpoint on its machine (a run that finishes ' +
        'meanwhile keeps its LoRA there and uploads it when the job is resumed).',
    );
  }
  if (waiting > 0) {
    parts.push(
      `${waiting === 1 ? 'The train job' : `${waiting} train jobs`} waiting for a GPU worker ${waiting === 1 ? 'is' : 'are'} recorded interrupted now.`,
    );
  }
  return parts.join(' ');
}

/**
 * Serves until SIGINT / SIGTERM, then stops in order (stopServer): running jobs get the queue's grace time to stop
 * (a train job saves its checkpoint), their end is recorded, and one line per job says how to go on. A second
 * signal stops at once: the workers are killed, the jobs recorded interrupted, exit 130; a third exits 130 now.
 * @returns the exit code: 0, or 130 after a forced stop
 */
export async function serveUntilStopped(app: FastifyInstance, io: StopIo = PROCESS_IO): Promise<number> {
  const force = new AbortController();
  let received = 0;
  let forcedExit: NodeJS.Timeout | undefined;
  let stopRequested = () => {};
  const requested = new Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  const onSignal = () => {
    received += 1;
    if (received === 1) {
      stopRequested();
    } else if (received === 2) {
      io.write('toonlora serve: stopping at once: ending the running jobs without waiting for them…\n');
      force.abort();
      io.killWorkers();
      forcedExit = setTimeout(() => io.exit(EXIT_INTERRUPTED), FORCED_EXIT_MS);
      forcedExit.unref();
    } else {
      io.killWorkers();
      io.exit(EXIT_INTERRUPTED);
    }
  };
  for (const name of STOP_SIGNALS) io.signals.on(name, onSignal);
  try {
    await requested;
    const running = app.queue.listJobs({ status: 'running' });
    // a remote worker's train job is not waited for (the board records it interrupted at once)
    const remote = new Map(
      running.flatMap((job) => {
        const state = app.remoteBoard?.remoteState(job.id);
        return state ? [[job.id, state.worker] as const] : [];
      }),
    );
    const local = running.filter((job) => !remote.has(job.id));
    const waitLocal =
      `waiting up to ${Math.round(app.queue.shutdownGraceMs / 1000)} s for the running ` +
      `${local.map((job) => job.kind).join(' and ')} job${local.length === 1 ? '' : 's'} to stop ` +
      '(a train job saves a checkpoint first). Ctrl-C again to stop at once, losing the steps since the last checkpoint…';
    const remoteText = remoteStopText([...remote.values()]);
    io.write(
      running.length === 0
        ? 'toonlora serve: stopping…\n'
        : remote.size === 0
          ? `toonlora serve: stopping: ${waitLocal}\n`
          : `toonlora serve: stopping. ${remoteText}${local.length > 0 ? ` Here: ${waitLocal}` : ''}\n`,
    );
    const stopped = await stopServer(app, { force: force.signal, onKill: io.killWorkers });
    for (const job of stopped) io.write(`${describeStoppedJob(job, remote.has(job.job.id))}\n`);
    return force.signal.aborted ? EXIT_INTERRUPTED : 0;
  } finally {
    clearTimeout(forcedExit);
    for (const name of STOP_SIGNALS) io.signals.off(name, onSignal);
  }
}

export function registerServe(program: Command): void {
  const command = program
    .command('serve')
    .description(
      'start the REST API (/api/, OpenAPI at /openapi.json) and the web app (/). Jobs run one at a time. ' +
        `Ctrl-C gives a running job up to ${SHUTDOWN_GRACE_MS / 1000} s to stop (a training job saves a checkpoint), ` +
        'records it interrupted (a training job can be resumed) and exits; Ctrl-C again stops at once.',
    )
    .option(
      '--host <host>',
      'address to listen on; anything but loopback requires TOONLORA_TOKEN',
      SERVE_DEFAULTS.host,
    )
    .option('--port <port>', 'TCP port (0: any free port)', String(SERVE_DEFAULTS.port))
    .option(
      '--max-queued <n>',
      'jobs that may wait in the queue at once; one more is refused (429)',
      String(SERVE_DEFAULTS.maxQueued),
    )
    .option(
      '--tls-cert <file>',
      "serve https with this certificate (PEM; with --tls-key): the token and the web app's session cookie (then marked Secure) are encrypted on the way",
    )
    .option('--tls-key <file>', "the certificate's private key (PEM, unencrypted)");
  addWorkerTimeoutOptions(command, 'its job fails saying so and the next job starts a fresh worker')
    .option(
      '--data <dir>',
      'data folder: database, uploads, datasets, LoRAs, images (default: <toonlora home>/server)',
    )
    .option(
      '--remote-workers',
      'train jobs wait for `toonlora worker --server <this address>` on a GPU machine to claim them, instead of running here (prep and generate still run here)',
      false,
    )
    .option(
      '--worker-lease <seconds>',
      'with --remote-workers: a worker silent this long loses its job, which is marked interrupted (resumable)',
      String(SERVE_DEFAULTS.workerLeaseS),
    )
    .option('--log', 'log every request to stderr', false)
    .option('--json', 'print the address as JSON', false)
    .action(commandAction('serve', (flags: ServeFlags) => serve(flags)));
}
