// test/server-remote-workers-e2e.test.ts — a real `toonlora serve --remote-workers` and real `toonlora worker`
// processes on loopback, training on the `tiny` base (CPU): a job trained end to end by the worker, its samples
// and its LoRA downloaded from the server; then a worker SIGKILLed mid-run: its lease expires and the job is interrupted, with
// the checkpoint the worker reported, and a resume claimed on the same machine continues after it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job, JobEvent } from '../src/schemas/api.js';
import { buildApp } from '../src/server/app.js';
import { HttpClient } from './helpers/http-client.js';
import { seedDataset, tempDataDir } from './helpers/server-fixtures.js';
import { launcher } from './helpers/tiny-training.js';

const TINY = {
  baseModel: 'tiny',
  resolution: 64,
  mixedPrecision: 'no',
  lora: { rank: 4 },
  sampleEverySteps: 0,
};
const LEASE_S = 3;

const children: ChildProcess[] = [];
/** `./toonlora ...args` in its own process group (a SIGKILL to the group takes its Python worker too). */
function start(args: string[]): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(launcher, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, ms = 240_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`${what}: not reached in ${ms} ms (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

let client: HttpClient;
let seeded: { characterId: string; datasetId: string };
const workDir = mkdtempSync(join(tmpdir(), 'tl-remote-worker-'));

beforeAll(async () => {
  const dataDir = tempDataDir('remote-e2e');
  const seeding = await buildApp({ dataDir, runners: {}, webDir: '/nonexistent' });
  await seeding.ready();
  seeded = await seedDataset(seeding);
  await seeding.close();
  const serve = start([
    'serve',
    '--port',
    '0',
    '--json',
    '--data',
    dataDir,
    '--remote-workers',
    '--worker-lease',
    String(LEASE_S),
  ]);
  const url = await until(
    async () => /"url":\s*"([^"]+)"/.exec(serve.output())?.[1],
    (found) => found !== undefined,
    'serve listening',
    60_000,
  );
  client = new HttpClient(String(url));
}, 90_000);

afterAll(() => {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) continue;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // it ended meanwhile
    }
  }
});

const submit = async (training: Record<string, unknown>) => {
  const res = await client.call<Job>('POST', '/api/jobs', {
    kind: 'train',
    characterId: seeded.characterId,
    params: { datasetId: seeded.datasetId, training: { ...TINY, ...training } },
  });
  expect(res.status).toBe(201);
  return res.body.id;
};
const job = async (id: string) => (await client.call<Job>('GET', `/api/jobs/${id}`)).body;

describe('remote workers, real processes', () => {
  it('a worker claims the train job, trains it, uploads its samples and the LoRA, which download from the server', async () => {
    const id = await submit({ steps: 4, checkpointEverySteps: 2, sampleEverySteps: 2 });
    const worker = start([
      'worker',
      '--server',
      client.baseUrl,
      '--once',
      '--name',
      'e2e-1',
      '--dir',
      workDir,
    ]);
    expect(await worker.exit, worker.output()).toBe(0);
    const done = await job(id);
    expect(done, worker.output()).toMatchObject({
      status: 'succeeded',
      result: { steps: 4, worker: 'e2e-1' },
    });
    const events = (
      await client.call<{ events: Array<{ body: Record<string, unknown> }> }>('GET', `/api/jobs/${id}/events`)
    ).body.events.map((e) => e.body);
    expect(
      events.flatMap((e) => (e.type === 'progress' ? [(e.progress as { step: number }).step] : [])),
    ).toEqual([1, 2, 3, 4]);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'log', message: expect.stringMatching(/^claimed by worker e2e-1/) }),
    );
    // the samples the worker's run wrote, uploaded as it wrote them: sample events the Train page shows
    const samples = events.filter((e) => e.type === 'sample');
    expect(samples.map((e) => e.step)).toEqual([2, 4]);
    const urls = (samples[0]?.urls ?? []) as string[];
    expect(urls.length).toBeGreaterThan(0);
    const image = await client.download(String(urls[0]));
    expect(image.status).toBe(200);
    expect(image.bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    const lora = await client.download(`/api/loras/${done.result?.loraId}/download`);
    expect(lora.status).toBe(200);
    const headerLength = Number(lora.bytes.readBigUInt64LE(0));
    const header = JSON.parse(lora.bytes.subarray(8, 8 + headerLength).toString('utf8'));
    expect(Object.keys(header).some((key) => key.startsWith('lora_unet_'))).toBe(true);
  }, 300_000);

  it('a worker SIGKILLed mid-run loses its lease: the job is interrupted with its checkpoint, and resumes from it on the same machine', async () => {
    const id = await submit({ steps: 5000, checkpointEverySteps: 1 });
    const worker = start(['worker', '--server', client.baseUrl, '--name', 'e2e-2', '--dir', workDir]);
    await until(
      () => job(id),
      (j) => j.checkpoint !== null,
      'a checkpoint reported',
    );
    process.kill(-(worker.child.pid as number), 'SIGKILL');
    await worker.exit;
    const killedAt = Date.now();
    const interrupted = await until(
      () => job(id),
      (j) => j.status !== 'running',
      'the lease expiring',
      30_000,
    );
    expect(Date.now() - killedAt).toBeLessThan((LEASE_S + 5) * 1000);
    expect(interrupted).toMatchObject({
      status: 'interrupted',
      error: {
        code: 'TL_ERR_INTERRUPTED',
        message: expect.stringMatching(/^worker e2e-2 stopped reporting/),
      },
    });
    expect(interrupted.checkpoint).toMatch(new RegExp(`^e2e-2:${id}/.+checkpoint`));

    // resumed, and claimed again on this machine (same --dir): the run continues after a checkpoint on its disk
    const seen = (await client.call<{ events: JobEvent[] }>('GET', `/api/jobs/${id}/events`)).body.events;
    const after = seen.at(-1)?.seq ?? 0;
    expect((await client.call('POST', `/api/jobs/${id}/resume`)).status).toBe(200);
    const again = start([
      'worker',
      '--server',
      client.baseUrl,
      '--once',
      '--name',
      'e2e-2',
      '--dir',
      workDir,
    ]);
    const resumed = await until(
      async () =>
        (await client.call<{ events: JobEvent[] }>('GET', `/api/jobs/${id}/events?after=${after}`)).body
          .events,
      (events) => events.some((e) => e.body.type === 'progress'),
      'progress after the resume',
    );
    const first = resumed.find((e) => e.body.type === 'progress')?.body;
    expect(first?.type === 'progress' && first.progress.step).toBeGreaterThan(1);
    expect(resumed.map((e) => e.body)).not.toContainEqual(
      expect.objectContaining({ message: expect.stringMatching(/not on this worker/) }),
    );
    expect((await client.call('POST', `/api/jobs/${id}/cancel`)).status).toBe(200);
    expect(await again.exit, again.output()).toBe(0);
  }, 400_000);

  it('a cancel reaches the running worker: it stops with a checkpoint, the job ends cancelled', async () => {
    const id = await submit({ steps: 5000, checkpointEverySteps: 1 });
    const worker = start([
      'worker',
      '--server',
      client.baseUrl,
      '--once',
      '--json',
      '--name',
      'e2e-3',
      '--dir',
      workDir,
    ]);
    await until(
      () => job(id),
      (j) => j.checkpoint !== null,
      'a checkpoint reported',
    );
    expect((await client.call('POST', `/api/jobs/${id}/cancel`)).status).toBe(200);
    expect(await worker.exit, worker.output()).toBe(0);
    expect(worker.output()).toContain(`{"jobId":"${id}","end":"stopped"}`);
    expect(await job(id)).toMatchObject({ status: 'cancelled' });
  }, 300_000);
});
