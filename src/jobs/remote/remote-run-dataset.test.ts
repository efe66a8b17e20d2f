// src/jobs/remote/remote-run-dataset.test.ts — a remote run's dataset download (in process: the worker's real
// client over a fake network, a stand-in trainer): the zip is streamed to a file in the job folder and unpacked from
// it, and neither that file nor a half-unpacked folder stays behind; a zip past the download limit fails the job
// mid-stream, before any training, and the next claim downloads it again (before: the whole zip was held in memory);
// a zip damaged past its first entry leaves no half dataset (before: the next claim trained on it as downloaded).
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { jobOneClaim } from '../../../test/helpers/worker-claim.js';
import type { runTraining } from '../../worker/train.js';
import { type LeaseFail, protocolHeaders } from './protocol.js';
import { runClaim } from './remote-run.js';
import { WorkerClient } from './worker-client.js';

async function datasetZip(bytes: number, caption = 'sks girl'): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.alloc(bytes, 3), '10_sks girl/a.png', { compress: false });
  zip.addBuffer(Buffer.from(caption), '10_sks girl/a.txt');
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const claim = jobOneClaim(60_000);

/** A server sending `zip` (in 16 KiB chunks, no length declared) and taking the rest; the fail reports it got. */
function network(zip: Buffer) {
  const fails: LeaseFail[] = [];
  const impl: typeof fetch = async (input, init = {}) => {
    const path = new URL(String(input)).pathname;
    if (path.endsWith('/zip')) {
      let at = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (at >= zip.length) return controller.close();
          controller.enqueue(new Uint8Array(zip.subarray(at, at + 16_384)));
          at += 16_384;
        },
      });
      return new Response(body);
    }
    if (path.endsWith('/fail')) fails.push(JSON.parse(String(init.body)) as LeaseFail);
    const reply = path.endsWith('/events') ? { leaseExpiresAt: new Date().toISOString(), stop: false } : {};
    return new Response(JSON.stringify(path.endsWith('/events') ? reply : { jobId: 'job1' }), {
      headers: { 'content-type': 'application/json', ...protocolHeaders() },
    });
  };
  return { fails, client: new WorkerClient('http://server', undefined, impl) };
}

/** A trainer that records the dataset it saw and writes the LoRA. */
const training = (seen: string[]) =>
  (async (options) => {
    seen.push(readFileSync(join(options.datasetDir, '10_sks girl', 'a.txt'), 'utf8'));
    const kohyaFile = join(mkdtempSync(join(tmpdir(), 'tl-lora-')), 'Mina.safetensors');
    writeFileSync(kohyaFile, 'lora');
    return { status: 'done', kohyaFile, steps: 4, lastLoss: 0.1, checkpoint: null, stats: {} };
  }) as typeof runTraining;

/** One claim of `claim` into `workDir` over a server sending `zip`, with the recording trainer; its end and fails. */
async function claimOnce(
  zip: Buffer,
  workDir: string,
  seen: string[],
  limits: { datasetZipMaxBytes?: number; finalRetryMs?: number[] } = {},
) {
  const { client, fails } = network(zip);
  const end = await runClaim({ client, claim, workDir, say: () => {}, train: training(seen), ...limits });
  return { end, fails };
}

describe("a remote run's dataset download", () => {
  it('fails the job past the limit mid-stream, leaving no file; the next claim downloads it again', async () => {
    const zip = await datasetZip(200_000);
    const workDir = mkdtempSync(join(tmpdir(), 'tl-dataset-'));
    const seen: string[] = [];
    const first = await claimOnce(zip, workDir, seen, { datasetZipMaxBytes: 100_000, finalRetryMs: [10] });
    expect(first.end).toBe('failed');
    expect(first.fails[0]?.error).toMatchObject({
      code: 'TL_ERR_DOWNLOAD',
      message:
        'GET /api/datasets/ds1/zip: the body went on past 100000 bytes, the most this worker downloads; nothing was kept.',
    });
    expect(seen).toEqual([]);
    expect(readdirSync(join(workDir, 'job1'))).toEqual([]); // no zip, no half-unpacked dataset

    const again = await claimOnce(zip, workDir, seen);
    expect(again.end).toBe('succeeded');
    expect(seen).toEqual(['sks girl']);
    expect(readdirSync(join(workDir, 'job1')).filter((name) => name.startsWith('.'))).toEqual([]);
    expect(existsSync(join(workDir, 'job1', 'train-data', '10_sks girl', 'a.png'))).toBe(true);
  }, 30_000);

  it('leaves no half-unpacked dataset when a later entry is damaged; the next claim downloads it whole', async () => {
    const good = await datasetZip(1000, 'sks girl '.repeat(5000));
    const damaged = Buffer.from(good);
    const at = damaged.indexOf('10_sks girl/a.txt') + 40; // inside a.txt's deflated data, after a.png was written
    for (let i = 0; i < 40; i += 1) damaged[at + i] = (damaged[at + i] ?? 0) ^ 0xff;
    const workDir = mkdtempSync(join(tmpdir(), 'tl-dataset-'));
    const seen: string[] = [];
    const first = await claimOnce(damaged, workDir, seen, { finalRetryMs: [10] });
    expect(first.end).toBe('failed');
    expect(first.fails[0]?.error.message).toMatch(/^dataset zip: .*; download it again\.$/);
    expect(readdirSync(join(workDir, 'job1'))).toEqual([]); // before: train-data with a.png only, taken as downloaded

    const again = await claimOnce(good, workDir, seen);
    expect(again.end).toBe('succeeded');
    expect(seen).toEqual(['sks girl '.repeat(5000)]);
  }, 30_000);
});
