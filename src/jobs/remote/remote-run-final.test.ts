// src/jobs/remote/remote-run-final.test.ts — the end of a remote run with the server away (in process: the
// worker's real client over a fake network, a stand-in trainer): the LoRA upload is tried again until the server
// answers; a LoRA the server could not take (its lease lost in a restart) is kept and uploaded on the job's next
// claim instead of training again; a later attempt continues from this worker's checkpoint when the server knows
// of none; more queued events than one batch may carry are sent in several batches, none refused.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { jobOneClaim, oneImageDatasetZip } from '../../../test/helpers/worker-claim.js';
import type { runTraining } from '../../worker/train.js';
import { LEASE_EVENTS_MAX, leaseEventsBodySchema, protocolHeaders, type WorkerClaim } from './protocol.js';
import { runClaim } from './remote-run.js';
import { WorkerClient } from './worker-client.js';

const LORA = Buffer.from('the finished lora');

/** job1's claim (as the helper's) for attempt `attempt`, resumed or not. */
const claimFor = (attempt: number, resume: boolean, leaseId = `lease-${attempt}`): WorkerClaim => {
  const claim = jobOneClaim(60_000);
  return { ...claim, leaseId, job: { ...claim.job, attempt, resume } };
};

type Route = (path: string, init: RequestInit) => Response | Promise<Response> | 'down';

/** A network where `route` answers each request (or 'down': connection refused); every request is recorded. */
function network(route: Route) {
  const calls: { path: string; body: unknown }[] = [];
  const impl: typeof fetch = async (input, init = {}) => {
    const path = new URL(String(input)).pathname;
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : init.body;
    calls.push({ path, body });
    const answer = await route(path, init);
    if (answer === 'down') throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    for (const [name, value] of Object.entries(protocolHeaders())) answer.headers.set(name, value);
    return answer;
  };
  return { calls, client: new WorkerClient('http://server', undefined, impl) };
}

const ok = (body: unknown = { leaseExpiresAt: new Date().toISOString(), stop: false }) =>
  new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
const lost = () =>
  new Response(JSON.stringify({ error: { code: 'TL_ERR_CONFLICT', message: 'lease x is not held' } }), {
    status: 409,
    headers: { 'content-type': 'application/json' },
  });

/** A trainer that writes the LoRA (after `before` ran) and says it is done. */
const finishing = (
  before?: (options: Parameters<typeof runTraining>[0]) => Promise<void>,
  runs = { count: 0 },
) =>
  (async (options) => {
    runs.count += 1;
    await before?.(options);
    mkdirSync(options.runDir, { recursive: true });
    const kohyaFile = join(options.runDir, 'Mina.safetensors');
    writeFileSync(kohyaFile, LORA);
    return { status: 'done', kohyaFile, steps: 4, lastLoss: 0.1, checkpoint: null, stats: {} };
  }) as typeof runTraining;

describe('the end of a remote run with the server away', () => {
  it('tries the LoRA upload again until the server answers', async () => {
    const zip = await oneImageDatasetZip();
    let completes = 0;
    const { client } = network((path) => {
      if (path.endsWith('/zip')) return new Response(new Uint8Array(zip));
      if (path.endsWith('/complete')) return ++completes < 3 ? 'down' : ok({ jobId: 'job1' });
      return ok();
    });
    const lines: string[] = [];
    const end = await runClaim({
      client,
      claim: claimFor(1, false),
      workDir: mkdtempSync(join(tmpdir(), 'tl-final-')),
      say: (line) => lines.push(line),
      train: finishing(),
      finalRetryMs: [10, 10, 10],
    });
    expect(end, lines.join('\n')).toBe('succeeded');
    expect(completes).toBe(3);
  });

  it("tries the stop report once when the worker's own Ctrl-C stopped the run (it is leaving)", async () => {
    const zip = await oneImageDatasetZip();
    let fails = 0;
    const { client } = network((path) => {
      if (path.endsWith('/zip')) return new Response(new Uint8Array(zip));
      if (path.endsWith('/fail')) {
        fails += 1;
        return 'down';
      }
      return ok();
    });
    const ctrlC = new AbortController();
    const lines: string[] = [];
    const started = Date.now();
    const end = await runClaim({
      client,
      claim: claimFor(1, false),
      workDir: mkdtempSync(join(tmpdir(), 'tl-final-')),
      signal: ctrlC.signal,
      say: (line) => lines.push(line),
      train: (async (options) => {
        ctrlC.abort();
        return {
          status: 'cancelled',
          runDir: options.runDir,
          samples: [],
          steps: 2,
          lastLoss: 0.3,
          checkpoint: null,
          stats: {},
        };
      }) as typeof runTraining,
      finalRetryMs: [60_000],
    });
    expect(end).toBe('stopped');
    expect(fails).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(lines.join('\n')).toMatch(/the stop was not reported .*the lease runs out on the server/);
  });

  it('keeps a LoRA whose lease was lost and uploads it on the next claim instead of training', async () => {
    const zip = await oneImageDatasetZip();
    const workDir = mkdtempSync(join(tmpdir(), 'tl-final-'));
    const first = network((path) =>
      path.endsWith('/zip') ? new Response(new Uint8Array(zip)) : path.endsWith('/complete') ? lost() : ok(),
    );
    const lines: string[] = [];
    const runs = { count: 0 };
    const end = await runClaim({
      client: first.client,
      claim: claimFor(1, false),
      workDir,
      say: (line) => lines.push(line),
      train: finishing(undefined, runs),
      finalRetryMs: [10],
    });
    expect(end).toBe('finished, not uploaded');
    expect(lines.join('\n')).toMatch(
      /the finished LoRA was not uploaded .* It is kept in .*Mina\.safetensors/,
    );

    // the resumed job (the server knew of no checkpoint: resume false) claimed by the same worker
    let uploaded: unknown;
    const second = network(async (path, init) => {
      if (path.endsWith('/complete')) {
        uploaded = await buffer(init.body as unknown as Readable); // streamed from the LoRA file
        return ok({ jobId: 'job1' });
      }
      return path.endsWith('/zip') ? new Response(new Uint8Array(zip)) : ok();
    });
    const again = await runClaim({
      client: second.client,
      claim: claimFor(2, false),
      workDir,
      say: (line) => lines.push(line),
      train: finishing(undefined, runs),
      finalRetryMs: [10],
    });
    expect(again, lines.join('\n')).toBe('succeeded');
    expect(runs.count).toBe(1);
    expect(uploaded).toEqual(LORA);
    const logged = second.calls.flatMap((c) => (c.body as { events?: { message?: string }[] })?.events ?? []);
    expect(logged).toContainEqual(
      expect.objectContaining({ message: expect.stringMatching(/finished the job before \(step 4\)/) }),
    );
    expect(existsSync(join(workDir, 'job1', 'Mina', 'Mina.safetensors'))).toBe(true);
  });

  it("continues a later attempt from this worker's checkpoint when the server knows of none", async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'tl-final-'));
    const checkpoint = join(workDir, 'job1', 'Mina', 'checkpoints', 'step-000002');
    mkdirSync(checkpoint, { recursive: true });
    writeFileSync(join(checkpoint, 'training_state.pt'), 'state');
    mkdirSync(join(workDir, 'job1', 'train-data', '10_sks girl'), { recursive: true });
    let resumed: boolean | undefined;
    const { client } = network((path) => (path.endsWith('/complete') ? ok({ jobId: 'job1' }) : ok()));
    const end = await runClaim({
      client,
      claim: claimFor(2, false),
      workDir,
      say: () => {},
      train: finishing(async (options) => {
        resumed = options.resume;
      }),
    });
    expect(end).toBe('succeeded');
    expect(resumed).toBe(true);
    expect(readFileSync(join(checkpoint, 'training_state.pt'), 'utf8')).toBe('state');
  });

  it('sends more queued events than one batch may carry in several batches, in order', async () => {
    const zip = await oneImageDatasetZip();
    let down = true;
    const sizes: number[] = [];
    const received: string[] = [];
    const { client } = network((path, init) => {
      if (path.endsWith('/zip')) return new Response(new Uint8Array(zip));
      if (path.endsWith('/complete')) return ok({ jobId: 'job1' });
      if (path.endsWith('/events')) {
        if (down) return 'down';
        const body = leaseEventsBodySchema.safeParse(JSON.parse(String(init.body)));
        if (!body.success)
          return new Response('{"error":{"code":"TL_ERR_USAGE","message":"Too big"}}', { status: 400 });
        sizes.push(body.data.events.length);
        for (const event of body.data.events) if (event.type === 'log') received.push(event.message);
      }
      return ok();
    });
    const count = LEASE_EVENTS_MAX * 2 + 500;
    const end = await runClaim({
      client,
      claim: claimFor(1, false),
      workDir: mkdtempSync(join(tmpdir(), 'tl-final-')),
      say: () => {},
      train: finishing(async (options) => {
        for (let i = 0; i < count; i += 1)
          options.onEvent?.({ version: 1, type: 'log', level: 'info', message: `line ${i}` });
        await new Promise((resolve) => setTimeout(resolve, 300)); // batches fail while the network is down
        down = false;
      }),
    });
    expect(end).toBe('succeeded');
    const lines = received.filter((m) => m.startsWith('line '));
    expect(lines).toHaveLength(count);
    expect(lines.at(-1)).toBe(`line ${count - 1}`);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(LEASE_EVENTS_MAX);
  });
});
