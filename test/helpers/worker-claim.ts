// test/helpers/worker-claim.ts — what a fake `serve --remote-workers` hands a worker in tests: a claim of train job
// job1 (lease-1, LoRA Mina, 4 steps on `tiny`, its dataset at /api/datasets/ds1/zip) and a dataset zip of one image.
import yazl from 'yazl';
import type { WorkerClaim } from '../../src/jobs/remote/protocol.js';

/** A dataset zip of one image in a kohya folder (`10_sks girl/a.png`). */
export async function oneImageDatasetZip(): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from('png'), '10_sks girl/a.png');
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A claim of job1 whose lease ends in `leaseMs`. */
export const jobOneClaim = (leaseMs = 600_000): WorkerClaim => ({
  leaseId: 'lease-1',
  leaseExpiresAt: new Date(Date.now() + leaseMs).toISOString(),
  renewEveryMs: 100,
  job: {
    id: 'job1',
    characterId: 'char1',
    attempt: 1,
    resume: false,
    checkpoint: null,
    loraName: 'Mina',
    params: { datasetId: 'ds1', training: { baseModel: 'tiny', steps: 4 } },
    datasetZipPath: '/api/datasets/ds1/zip',
  },
});
