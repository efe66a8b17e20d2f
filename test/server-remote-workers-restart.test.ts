// test/server-remote-workers-restart.test.ts — the server restarts as a remote run ends (in process: the real
// server on loopback, stopped and started again on the same data folder and port; the worker's runClaim with a
// stand-in trainer): the LoRA upload finds the lease gone, the worker keeps the finished LoRA, and when the resumed
// job is claimed by the same worker it uploads that LoRA instead of training again: the job succeeds with it.
import { mkdtempSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runClaim } from '../src/jobs/remote/remote-run.js';
import { WorkerClient } from '../src/jobs/remote/worker-client.js';
import { buildApp } from '../src/server/app.js';
import type { runTraining } from '../src/worker/train.js';
import { seedDataset, tempDataDir } from './helpers/server-fixtures.js';

/** A minimal safetensors file: header length, a JSON header, no tensors. */
const SAFETENSORS = (() => {
  const header = Buffer.from('{"__metadata__":{"ss_network_module":"networks.lora"}}');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, header]);
})();

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function startServer(dataDir: string, port: number) {
  const app = await buildApp({
    dataDir,
    runners: {},
    webDir: '/nonexistent',
    remoteWorkers: { leaseMs: 60_000, jobs: 8 },
  });
  apps.push(app);
  const url = await app.listen({ port, host: '127.0.0.1' });
  return { app, url };
}

describe('the server restarting as a remote run ends', () => {
  it('keeps the finished LoRA on the worker and uploads it when the resumed job is claimed', async () => {
    const dataDir = tempDataDir('remote-restart');
    const first = await startServer(dataDir, 0);
    const port = Number(new URL(first.url).port);
    const seeded = await seedDataset(first.app);
    const submitted = await first.app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'train', characterId: seeded.characterId, params: { datasetId: seeded.datasetId } },
    });
    const id = String(submitted.json().id);
    await vi.waitFor(() => expect(first.app.remoteBoard?.remoteState(id)).toBeDefined(), { timeout: 10_000 });
    const client = new WorkerClient(first.url);
    const workDir = mkdtempSync(join(tmpdir(), 'tl-worker-restart-'));
    const claim1 = await client.claim('gpu-a', 0);
    if (!claim1) throw new Error('no claim');
    let trained = 0;
    // the run ends while the server restarts
    const train = (async (options) => {
      trained += 1;
      await first.app.close();
      apps.splice(apps.indexOf(first.app), 1);
      await startServer(dataDir, port);
      await mkdir(options.runDir, { recursive: true });
      const kohyaFile = join(options.runDir, `${claim1.job.loraName}.safetensors`);
      await writeFile(kohyaFile, SAFETENSORS);
      return { status: 'done', kohyaFile, steps: 7, lastLoss: 0.25, checkpoint: null, stats: {} };
    }) as typeof runTraining;
    const lines: string[] = [];
    const say = (line: string) => lines.push(line);
    expect(await runClaim({ client, claim: claim1, workDir, say, train, finalRetryMs: [50, 100] })).toBe(
      'finished, not uploaded',
    );
    const second = apps.at(-1) as FastifyInstance;
    expect(second.jobStore.getJob(id).status).toBe('interrupted');
    expect((await second.inject({ method: 'POST', url: `/api/jobs/${id}/resume` })).statusCode).toBe(200);
    await vi.waitFor(() => expect(second.remoteBoard?.remoteState(id)).toBeDefined(), { timeout: 10_000 });
    const claim2 = await client.claim('gpu-a', 0);
    expect(claim2?.job).toMatchObject({ id, attempt: 2 });
    if (!claim2) return;
    expect(await runClaim({ client, claim: claim2, workDir, say, train })).toBe('succeeded');
    expect(trained, lines.join('\n')).toBe(1);
    const job = second.jobStore.getJob(id);
    expect(job).toMatchObject({ status: 'succeeded', result: { steps: 7, lastLoss: 0.25, worker: 'gpu-a' } });
    const lora = second.catalog.getArtifact(String(job.result?.loraId));
    expect(lora.kind).toBe('lora');
  }, 60_000);
});
