// src/cli/commands/worker.ts — `toonlora worker --server <url>`: a GPU machine that trains the jobs of a
// `serve --remote-workers` server. Loops: claim a train job (long poll), run it (src/jobs/remote/remote-run.ts:
// the same runTraining as `toonlora train`; its checkpoints are uploaded as saved), upload the LoRA; the token comes
// from TOONLORA_TOKEN. While the server does not answer it says so once, then every 30 s at most, then once it is
// back; a server that cannot take workers (no --remote-workers: 404 / 405; another worker protocol, named by both
// sides' headers: 400 or any reply; another version before the protocol header: 400) ends it with a line
// saying so (permanentClaimError). A reply that is not a toonlora server's (a proxy's HTML error page, a body cut
// short) is said in one line as what it is, and the claims go on, waiting longer after each failure (claimRetryMs);
// but one that says --server names another server (meansWrongServer: an HTML 404, a login page's 200, another API's
// JSON, from an address that never answered as toonlora; or, from such an address, plain HTTP at https://, a host
// name that does not resolve, a certificate not trusted here) ends it after WRONG_SERVER_TRIES claims in a row with
// what came and what to check (wrongAddress, wrongServerError); an auth proxy's 401 / 403 ends it at once. A host
// name that does not resolve is waited for when the worker started before the network was up, or for
// --wait-for-server seconds (worker-waits.ts), and so is a connection refused (nothing listens at the port yet: serve
// not started) before serve answered (worker-refused.ts; a port fetch never connects to ends it at once); once serve
// answered, another page in its place (a login page's 200, a proxy's 400) is said at each claim, and the claims go
// on. While a job trains, its progress shows as `toonlora train` shows it (worker-progress.ts: a bar on a terminal,
// else a line now and then). Ctrl-C
// stops the running job with a checkpoint (reported stopped: the job is interrupted, resumable) and exits; a second
// Ctrl-C exits at once.
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT_INTERRUPTED, ToonloraError } from '../../errors.js';
import { runClaim } from '../../jobs/remote/remote-run.js';
import { workerNameSchema } from '../../jobs/remote/protocol.js';
import { duration, UnreachableLog } from '../../jobs/remote/reach-log.js';
import {
  answersInPlace,
  meansWrongServer,
  NotToonloraReplyError,
  reachDeadEnd,
  WRONG_SERVER_TRIES,
} from '../../jobs/remote/reply-check.js';
import { ProtocolMismatchError, WorkerClient } from '../../jobs/remote/worker-client.js';
import { toonloraHome } from '../../models/cache.js';
import { runTraining } from '../../worker/train.js';
import { commandAction } from '../output.js';
import { jobProgress, type WorkerProgressMode, workerProgressMode } from '../worker-progress.js';
import { BAD_PORT, badPortError, REFUSED, refusedLine, refusedWaitLine } from '../worker-refused.js';
import { hasNetworkAddress, hostWaitLine, hostWaitMs, inPlaceLine } from './worker-waits.js';

export interface WorkerFlags {
  server: string;
  name?: string;
  dir?: string;
  once: boolean;
  json: boolean;
  /** --wait-for-server (seconds, as typed): how long a host name that does not resolve is waited for. */
  waitForServer?: string;
}

/** What the worker's loop takes from its machine; tests give their own (a network that fails, no real waits). */
export interface WorkerMachine {
  /** The network as the worker sees it (a resolver that fails, then a server). */
  fetchImpl: typeof fetch;
  /** `ms`, or less when `signal` aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  now: () => number;
  /** Whether this machine has a network address (at the start). */
  networkUp: () => boolean;
  /** Prints one line for the user (stderr). */
  say: (line: string) => void;
  /** Tests: stops the worker as Ctrl-C does. */
  stop?: AbortSignal;
  /** Where a job's progress goes (stderr), and how (default: a bar when stdout and stderr are terminals and no
   * --json, else lines: worker-progress.ts). */
  progressStream: NodeJS.WritableStream;
  progressMode?: WorkerProgressMode;
  /** Tests: a stand-in for the trainer (default runTraining). */
  train?: typeof runTraining;
}

/** How long one claim may wait on the server for a job (its long poll), in seconds. */
const CLAIM_WAIT_S = 20;
/** After a failed claim (server unreachable, restarting, a proxy answering for it), how long before the next try:
 * doubled after each failure in a row, up to CLAIM_RETRY_MAX_MS. */
const RETRY_MS = 5_000;
const CLAIM_RETRY_MAX_MS = 60_000;

/** The wait before the next claim after `failures` failed ones in a row (1: the first). */
export const claimRetryMs = (failures: number): number =>
  Math.min(RETRY_MS * 2 ** Math.max(0, Math.min(failures - 1, 10)), CLAIM_RETRY_MAX_MS);

/** `--server` as a base URL: http(s) only. */
export function parseServerUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol)) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `--server: expected the server's address, e.g. http://gpu-host:7860, got ${JSON.stringify(value)}.`,
    );
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/**
 * A claim refused for good, in words that say what to do, or undefined for a failure worth trying again (the
 * server away, restarting, answering 5xx). A 401 is the server's own (the token).
 */
export function permanentClaimError(error: unknown, server: string): ToonloraError | undefined {
  if (!(error instanceof ToonloraError)) return undefined;
  if (error.details.reach === BAD_PORT) return badPortError(server);
  if (error instanceof NotToonloraReplyError) {
    // an auth proxy's or login's 401 / 403 in front of serve stays (its message says what to change); another
    // proxy's page is not the server's word: the server may answer the next claim
    const status = error.reply.status;
    if (status !== 401 && status !== 403) return undefined;
    return new ToonloraError('TL_ERR_UNAUTHORIZED', error.message, { details: { status } });
  }
  if (error.code === 'TL_ERR_UNAUTHORIZED' || error instanceof ProtocolMismatchError) return error;
  const status = error.details.status;
  if (status === 404 || status === 405) {
    return new ToonloraError(
      'TL_ERR_USAGE',
      `${server} does not run remote workers (${error.message}): start it with --remote-workers, or check the --server address (http://host:port, no path after it for a server at the root).`,
      { details: { status } },
    );
  }
  if (status === 400 || status === 422) {
    return new ToonloraError(
      'TL_ERR_USAGE',
      `the server refused this worker's request (${status}: ${error.message}): are both the same toonlora version? (toonlora --version on each)`,
      { details: { status } },
    );
  }
  return undefined;
}

/** Whether `error` is a toonlora server's own reply (its JSON error, e.g. a 503 while it shuts down). */
const toonloraReplied = (error: unknown): boolean =>
  error instanceof ToonloraError &&
  !(error instanceof NotToonloraReplyError) &&
  typeof error.details.status === 'number';

/**
 * Whether a failed claim says `--server` is a wrong address: a reply of another server (meansWrongServer), or, from an
 * address that never answered as toonlora, a request that reaches no server for good (reachDeadEnd: plain HTTP at
 * https://, a host name that does not resolve, a certificate not trusted here). Once a toonlora server answered in
 * this run, such failures are tried again (a DNS blip, a network that intercepts TLS for a while).
 */
export function wrongAddress(error: unknown, reached: boolean): boolean {
  if (error instanceof NotToonloraReplyError) return meansWrongServer(error.reply, reached);
  return !reached && error instanceof ToonloraError && unanswered(error.details.reach) !== undefined;
}

/** A request that reached no toonlora server at --server in a way trying again may not mend: a reachDeadEnd, or a
 * connection refused (nothing listens at the port; worker-refused.ts). */
function unanswered(reach: unknown): ReturnType<typeof reachDeadEnd> | 'refused' {
  return reach === REFUSED ? 'refused' : reachDeadEnd(reach);
}

const CHECK_SERVER =
  'Check the --server address: the scheme, host, port and path that `toonlora serve` prints when it starts ' +
  '("toonlora serving http://host:port"; no path after the port for a server at the root)';

/** The worker's last word after `tries` claims in a row whose failure (`error`) says `server` is a wrong address
 * (`waitedMs`: how long it waited for a host name to resolve, --wait-for-server). */
export function wrongServerError(
  error: ToonloraError,
  server: string,
  tries: number,
  waitedMs?: number,
): ToonloraError {
  const over = waitedMs === undefined ? '' : ` over ${duration(waitedMs)}`;
  const claims = `${tries} claims in a row${over} (POST ${server}/api/worker/claim)`;
  if (!(error instanceof NotToonloraReplyError)) {
    const reach = String(error.details.reach);
    return new ToonloraError('TL_ERR_USAGE', `${reachDeadEndLine(server, reach, claims)} ${CHECK_SERVER}.`, {
      details: { reach },
    });
  }
  return new ToonloraError(
    'TL_ERR_USAGE',
    `${server} is not a toonlora server: ${claims} got ${error.described}. ${CHECK_SERVER}, and that no proxy or ` +
      'login page answers in its place.',
    { details: { status: error.reply.status } },
  );
}

/** Why claims at `server` that failed with `reach` (a reachDeadEnd, or refused) reach no server, and what to change. */
function reachDeadEndLine(server: string, reach: string, claims: string): string {
  if (reach === REFUSED) return refusedLine(server, claims);
  const { hostname: host } = new URL(server);
  const kind = reachDeadEnd(reach);
  if (kind === 'no-such-host') {
    return `${host} does not resolve: ${claims} failed (${reach}: no DNS name or hosts-file entry for it).`;
  }
  if (kind === 'untrusted-certificate') {
    const fix =
      reach === 'ERR_TLS_CERT_ALTNAME_INVALID' || reach === 'HOSTNAME_MISMATCH'
        ? `the certificate is made for another host name than ${host}: use the address serve prints, with a host ` +
          'name its certificate names'
        : reach === 'CERT_HAS_EXPIRED' || reach === 'CERT_NOT_YET_VALID'
          ? "the certificate is out of its dates: renew serve's --tls-cert, or check this machine's clock"
          : "if serve's --tls-cert is self-signed or signed by your own CA, give this worker that CA: " +
            `NODE_EXTRA_CA_CERTS=/path/to/ca.pem toonlora worker --server ${server}`;
    return `${server}'s TLS certificate is not trusted on this machine: ${claims} failed (${reach}): ${fix}.`;
  }
  const http = server.replace(/^https:/, 'http:');
  return (
    `${server} answers plain HTTP, not HTTPS: ${claims} failed (${reach}). A server started without --tls-cert ` +
    `is at ${http}.`
  );
}

function workerName(flag: string | undefined): string {
  const name = flag ?? `${hostname()}-${process.pid}`;
  const parsed = workerNameSchema.safeParse(name);
  if (!parsed.success) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `--name: ${JSON.stringify(name)}: letters, digits and . _ : @ - only.`,
    );
  }
  return parsed.data;
}

const MACHINE: WorkerMachine = {
  fetchImpl: fetch,
  sleep,
  now: Date.now,
  networkUp: () => hasNetworkAddress(),
  say: (line) => process.stderr.write(`toonlora worker: ${line}\n`),
  progressStream: process.stderr,
};

export async function work(flags: WorkerFlags, machine: Partial<WorkerMachine> = {}): Promise<number> {
  const { fetchImpl, now, say, progressStream, ...own } = { ...MACHINE, ...machine };
  const progressMode = own.progressMode ?? workerProgressMode(flags.json);
  const server = parseServerUrl(flags.server);
  const name = workerName(flags.name);
  const workDir = resolve(flags.dir ?? join(toonloraHome(), 'worker'));
  const client = new WorkerClient(server, process.env.TOONLORA_TOKEN?.trim() || undefined, fetchImpl);
  const unreachable = new UnreachableLog(now);
  const stop = new AbortController();
  own.stop?.addEventListener('abort', () => stop.abort(), { once: true });
  const startedAt = now();
  const networkUpAtStart = own.networkUp();
  const waitS = flags.waitForServer === undefined ? undefined : waitSeconds(flags.waitForServer);
  const hostWait = hostWaitMs(waitS === undefined ? undefined : waitS * 1000, networkUpAtStart);
  let signals = 0;
  let running = false;
  // the worker's line-printer: during a job, below its progress bar (worker-progress.ts)
  let sayNow = say;
  const onSignal = () => {
    signals += 1;
    if (signals > 1) process.exit(EXIT_INTERRUPTED);
    sayNow(
      running
        ? 'stopping: the running job saves a checkpoint first (Ctrl-C again to exit at once)'
        : 'stopping',
    );
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  say(`${name} waiting for train jobs from ${server} (work folder ${workDir})`);
  let failures = 0;
  // whether a toonlora server answered at this address in this run; claims in a row whose reply says it is another
  let reached = false;
  let wrongServer = 0;
  // claims in a row, after serve answered, that got another page in its place (answersInPlace)
  let inPlace = 0;
  try {
    while (!stop.signal.aborted) {
      let claim: Awaited<ReturnType<WorkerClient['claim']>>;
      try {
        claim = await client.claim(name, CLAIM_WAIT_S, stop.signal);
        failures = 0;
        wrongServer = 0;
        inPlace = 0;
        reached = true;
        const back = unreachable.reached();
        if (back) say(back);
      } catch (error) {
        if (stop.signal.aborted) break;
        const permanent = permanentClaimError(error, server);
        if (permanent) throw permanent;
        reached ||= toonloraReplied(error);
        failures += 1;
        const wait = claimRetryMs(failures);
        const reach = !reached && error instanceof ToonloraError ? error.details.reach : undefined;
        // a host name that does not resolve yet, or a port nothing listens on yet (serve not started yet)
        const notYet = unanswered(reach);
        const waitingForHost = hostWait > 0 && (notYet === 'no-such-host' || notYet === 'refused');
        const elapsedMs = now() - startedAt;
        if (waitingForHost && elapsedMs >= hostWait) {
          throw wrongServerError(error as ToonloraError, server, failures, elapsedMs);
        }
        const wrong = !waitingForHost && wrongAddress(error, reached);
        wrongServer = wrong ? wrongServer + 1 : 0;
        if (wrong && wrongServer >= WRONG_SERVER_TRIES) {
          throw wrongServerError(error as ToonloraError, server, wrongServer);
        }
        const another = reached && error instanceof NotToonloraReplyError && answersInPlace(error.reply);
        inPlace = another ? inPlace + 1 : 0;
        const line = unreachable.failed(
          `${error instanceof Error ? error.message : String(error)}; trying again in ${wait / 1000} s`,
        );
        // these say what they wait for at each claim (a worker must not look silent); others once per 30 s
        if (waitingForHost) {
          const waited = { elapsedMs, limitMs: hostWait, retryMs: wait, networkUpAtStart };
          say(
            notYet === 'refused'
              ? refusedWaitLine(server, waited)
              : hostWaitLine(server, String(reach), waited),
          );
        } else if (another) say(inPlaceLine(error, server, inPlace, wait));
        else if (line) say(line);
        await own.sleep(wait, stop.signal);
        continue;
      }
      if (!claim) continue;
      say(
        `job ${claim.job.id} (attempt ${claim.job.attempt}${claim.job.resume ? ', resumed' : ''}): training ${claim.job.loraName}`,
      );
      running = true;
      const progress = jobProgress(own.train ?? runTraining, say, {
        mode: progressMode,
        stream: progressStream,
        now,
      });
      sayNow = progress.say;
      const end = await runClaim({
        client,
        claim,
        workDir,
        signal: stop.signal,
        say: progress.say,
        unreachable,
        train: progress.train,
      }).finally(() => {
        running = false;
        progress.stop();
        sayNow = say;
      });
      say(`job ${claim.job.id}: ${end}`);
      if (flags.json) process.stdout.write(`${JSON.stringify({ jobId: claim.job.id, end })}\n`);
      if (flags.once) break;
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `ms`, or less when `signal` aborts (Ctrl-C while waiting to retry exits at once). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const onAbort = () => {
      clearTimeout(timer);
      done();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      done();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** `--wait-for-server`'s value: whole seconds, 0 or more. */
export function waitSeconds(value: string): number {
  if (!/^\d{1,7}$/.test(value.trim())) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `--wait-for-server: expected whole seconds, e.g. 300, got ${JSON.stringify(value)}.`,
    );
  }
  return Number(value.trim());
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'train the jobs of a `toonlora serve --remote-workers` server on this machine: claims one train job at a time ' +
        'over HTTP (token from TOONLORA_TOKEN), reports its progress, uploads its samples, checkpoints (a resume continues from them on any worker) and the LoRA. Ctrl-C stops the job with a checkpoint.',
    )
    .requiredOption('--server <url>', "the server's address, e.g. http://gpu-host:7860")
    .option('--name <name>', 'how jobs and the server name this worker (default: <host name>-<pid>)')
    .option('--dir <dir>', 'work folder for datasets and runs (default: <toonlora home>/worker)')
    .option('--once', 'exit after one job', false)
    .option('--json', 'print one JSON line per job ({ jobId, end }) on stdout', false)
    .option(
      '--wait-for-server <seconds>',
      "how long to wait for the server's host name to resolve, or for serve to listen on its port (a connection " +
        'refused), before it first answers (default: 300 when this machine has no network address at the start, as ' +
        'at boot; else it ends after 3 claims, ~15 s)',
    )
    .action(commandAction('worker', (flags: WorkerFlags) => work(flags)));
}
