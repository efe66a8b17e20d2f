// test/remote-worker-progress.test.ts — what `toonlora worker` shows on its own machine (in process: work() with a
// fake server on loopback, a stand-in trainer, a fake clock). While a claimed job trains its progress shows as
// `toonlora train` shows it: plain lines (step, loss, it/s, ETA) when not a terminal, also with --json, and a bar on a
// terminal with the worker's own lines below it (before: "training …", then nothing until "succeeded"). A connection
// refused before serve ever answered follows the rule of a host name that does not resolve: it ends after 3 claims
// saying what to check, or is waited for with --wait-for-server; a port fetch never connects to ends it at once
// (before: both tried again forever, "cannot reach http://127.0.0.1:1 (bad port); trying again in 5 s").
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { work } from '../src/cli/commands/worker.js';
import { protocolHeaders } from '../src/jobs/remote/protocol.js';
import type { WorkerEvent } from '../src/worker/protocol.js';
import type { runTraining } from '../src/worker/train.js';
import { fakeMachine, keptOutput, workerFlags } from './helpers/fake-worker-machine.js';
import { loopbackServer } from './helpers/loopback-server.js';
import { jobOneClaim, oneImageDatasetZip } from './helpers/worker-claim.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** serve with one train job: its claim, dataset, a 200 for the events and the LoRA upload, and a 507 (its disk full)
 * for a checkpoint upload. */
async function serverWithOneJob(): Promise<string> {
  const zip = await oneImageDatasetZip();
  let claimed = false;
  return loopbackServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/api/worker/claim' && claimed) {
        res.writeHead(204, protocolHeaders());
        res.end();
        return;
      }
      if (path.endsWith('/checkpoint')) {
        res.writeHead(507, { 'content-type': 'application/json', ...protocolHeaders() });
        res.end(JSON.stringify({ error: { code: 'TL_ERR_DISK_FULL', message: 'the disk is full' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', ...protocolHeaders() });
      if (path === '/api/worker/claim') {
        claimed = true;
        res.end(JSON.stringify(jobOneClaim()));
      } else if (path.endsWith('/zip')) res.end(zip);
      else
        res.end(
          JSON.stringify({ leaseExpiresAt: new Date(Date.now() + 600_000).toISOString(), stop: false }),
        );
    });
  }, closers);
}

const progress = (step: number, eta: number): WorkerEvent => ({
  version: 1,
  type: 'progress',
  step,
  total: 4,
  loss: 0.5 / step,
  lr: 1e-4,
  it_per_s: 2,
  eta_s: eta,
});

/** Until `said` holds a line containing `part` (what the worker says of an upload under way). */
async function untilSaid(said: readonly string[], part: string): Promise<void> {
  while (!said.some((line) => line.includes(part))) await new Promise((done) => setTimeout(done, 20));
}

/**
 * A trainer that sends an info line and 4 steps' progress, then writes a LoRA; with `said` (the worker's lines), it
 * saves a checkpoint at step 2 (the server refuses its upload) and goes on once the worker said so.
 */
function trainer(said?: readonly string[]): typeof runTraining {
  return (async (options) => {
    options.onEvent?.({ version: 1, type: 'log', level: 'info', message: 'training on cuda: 4 steps' });
    for (const step of [1, 2, 3, 4]) {
      options.onEvent?.(progress(step, 2 * (4 - step)));
      if (step === 2 && said) {
        const path = join(options.runDir, 'checkpoints', 'step-000002');
        mkdirSync(path, { recursive: true });
        writeFileSync(join(path, 'state.bin'), 'state');
        options.onEvent?.({ version: 1, type: 'checkpoint', step, path });
        await untilSaid(said, 'was not uploaded');
      }
    }
    const kohyaFile = join(options.runDir, 'Mina.safetensors');
    mkdirSync(options.runDir, { recursive: true });
    writeFileSync(kohyaFile, 'lora');
    return { status: 'done', kohyaFile, steps: 4, lastLoss: 0.125, checkpoint: null, stats: {} };
  }) as typeof runTraining;
}

describe('toonlora worker: a job training shows its progress on the worker', () => {
  it('not on a terminal: the info line, the first step and the last, as train prints them', async () => {
    const url = await serverWithOneJob();
    const fake = fakeMachine({ train: trainer() });
    expect(await work(workerFlags(url, { once: true }), fake.machine)).toBe(0);
    expect(fake.progress()).toBe(
      [
        'training on cuda: 4 steps',
        'train 1/4 | loss 0.5000 | 2.00 it/s | eta 0m6s',
        'train 4/4 | loss 0.1250 | 2.00 it/s | eta 0m0s',
        '',
      ].join('\n'),
    );
    expect(fake.lines.at(-1)).toBe('job job1: succeeded');
  }, 30_000);

  it("on a terminal: a bar, and the worker's own lines start below it, not on its line", async () => {
    const url = await serverWithOneJob();
    const terminal = keptOutput(true);
    const said: string[] = [];
    // the worker's lines go to the terminal the bar is drawn on, as stderr
    const say = (line: string) => {
      said.push(line);
      terminal.stream.write(`toonlora worker: ${line}\n`);
    };
    const fake = fakeMachine({
      progressMode: 'bar',
      progressStream: terminal.stream,
      say,
      train: trainer(said),
    });
    expect(await work(workerFlags(url, { once: true }), fake.machine)).toBe(0);
    const drawn = terminal.text();
    expect(drawn).toContain('training on cuda: 4 steps\n');
    expect(drawn).toMatch(/train \[[█░]+\] 1\/4 \| loss 0\.5000 \| 2\.00 it\/s \| eta 0m6s/);
    expect(drawn).toMatch(/train \[[█░]+\] 4\/4 \| loss 0\.1250 \| 2\.00 it\/s \| eta 0m0s/);
    // the line said while the bar was drawn starts on a line of its own (the bar is drawn again below it)
    const line = 'toonlora worker: job job1: the checkpoint of step 2 was not uploaded to the server';
    expect(drawn).toContain(`\n${line}`);
    expect(drawn.indexOf(line)).toBeLessThan(drawn.lastIndexOf('4/4'));
    expect(said.at(-1)).toBe('job job1: succeeded');
  }, 30_000);
});

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise((done) => server.close(done));
  return typeof address === 'object' && address ? address.port : 0;
}

/** fetch's failure when nothing listens at the port. */
const refused = (): Promise<Response> =>
  Promise.reject(
    new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) }),
  );

/** fetch as a network where nothing listens at the port for the first `refusals` requests, then serve does. */
function listeningLater(refusals: number): typeof fetch {
  let calls = 0;
  return (input, init) => {
    calls += 1;
    return calls <= refusals ? refused() : fetch(input, init);
  };
}

/** serve with no job to give: each claim (`onClaim` called) a 204. */
function serveWithNoJob(onClaim: () => void = () => {}): Promise<string> {
  return loopbackServer((req, res) => {
    req.resume();
    onClaim();
    res.writeHead(204, protocolHeaders());
    res.end();
  }, closers);
}

/** A fake machine whose worker stops after `waits` waits between claims (before, these claims went on forever). */
function stoppedAfterWaits(waits: number) {
  const fake = fakeMachine();
  fake.machine.sleep = async (ms) => {
    fake.waits.push(ms);
    if (fake.waits.length >= waits) fake.stop();
  };
  return fake;
}

describe('toonlora worker: no server listening at --server before serve ever answered', () => {
  it('a connection refused ends it after 3 claims, saying what to check', async () => {
    const port = await closedPort();
    const fake = stoppedAfterWaits(5);
    const server = `http://127.0.0.1:${port}`;
    await expect(work(workerFlags(server), fake.machine)).rejects.toThrow(
      `nothing answers at 127.0.0.1 on port ${port}: 3 claims in a row (POST ${server}/api/worker/claim) were ` +
        'refused (ECONNREFUSED): is toonlora serve running there, started with --remote-workers, and on that port ' +
        '(it prints "toonlora serving http://host:port" when it starts; 7860 unless --port)? A firewall that rejects ' +
        'the port reads the same. To start the worker before serve, give it time: --wait-for-server <seconds>. ' +
        'Check the --server address',
    );
    expect(fake.waits).toEqual([5_000, 10_000]);
  }, 30_000);

  it('--wait-for-server: waits for serve to start, saying so at each claim, then claims', async () => {
    const fake = fakeMachine();
    let claims = 0;
    const url = await serveWithNoJob(() => {
      claims += 1;
      if (claims >= 2) fake.stop();
    });
    fake.machine.fetchImpl = listeningLater(2);
    expect(await work(workerFlags(url, { waitForServer: '60' }), fake.machine)).toBe(0);
    const port = new URL(url).port;
    const waiting = (wait: string, sofar: string) =>
      `waiting for toonlora serve at 127.0.0.1 on port ${port} (ECONNREFUSED: nothing listens there yet; serve not ` +
      `started yet?); trying again in ${wait}, for up to 1 min after the start (--wait-for-server), ${sofar} so far`;
    expect(fake.lines.slice(1)).toEqual([
      waiting('5 s', '0 s'),
      waiting('10 s', '5 s'),
      'the server answers again, after 2 failed calls in 15 s',
    ]);
  }, 30_000);

  it('--wait-for-server: ends once the wait is over, saying how long it waited', async () => {
    const fake = fakeMachine();
    fake.machine.fetchImpl = listeningLater(1000);
    await expect(
      work(workerFlags('http://gpu-host:7860', { waitForServer: '60' }), fake.machine),
    ).rejects.toThrow('nothing answers at gpu-host on port 7860: 5 claims in a row over 1 min 15 s');
  }, 30_000);

  it('once serve answered, a connection refused (serve restarting) is tried again', async () => {
    const fake = fakeMachine();
    let calls = 0;
    const url = await serveWithNoJob();
    // serve answers the first claim, then is away for 5
    fake.machine.fetchImpl = (input, init) => {
      calls += 1;
      if (calls === 1) return fetch(input, init);
      if (calls === 7) fake.stop();
      return refused();
    };
    expect(await work(workerFlags(url), fake.machine)).toBe(0);
    expect(fake.waits).toEqual([5_000, 10_000, 20_000, 40_000, 60_000]);
  }, 30_000);

  it('a port fetch never connects to (http://127.0.0.1:1) ends it at the first claim, naming the port', async () => {
    const fake = stoppedAfterWaits(5);
    await expect(work(workerFlags('http://127.0.0.1:1'), fake.machine)).rejects.toThrow(
      "--server http://127.0.0.1:1: port 1 is one this worker never connects to (fetch's list of ports of other " +
        'services, e.g. 1, 22, 25, 6000: "bad port"), so no toonlora server can be reached there. Use the port ' +
        '`toonlora serve` prints when it starts ("toonlora serving http://host:port"; 7860 unless --port)',
    );
    expect(fake.waits).toEqual([]);
  }, 30_000);
});
