// src/worker/generate-ended.test.ts — a warm GenerationWorker whose process ended while idle (killed between two
// jobs) refuses the next request with the way it ended, instead of sending it to nobody and waiting for good.
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { generationConfigSchema } from '../schemas/config.js';
import { GenerationWorker } from './generation-worker.js';

const FAKE = fileURLToPath(new URL('../../test/fixtures/fake-worker.mjs', import.meta.url));

describe('GenerationWorker after its process ended', () => {
  it('rejects the next request naming how the worker ended', async () => {
    const worker = new GenerationWorker('tiny', {
      command: process.execPath,
      args: [FAKE, 'serve-once'],
      cwd: process.cwd(),
    });
    const config = generationConfigSchema.parse({ baseModel: 'tiny', prompt: 'sks' });
    expect((await worker.generate({ outputDir: '/o1', config })).images).toEqual(['/o1/seed-1.png']);
    await vi.waitFor(() => expect(worker.ended).toBe(true), { timeout: 20_000 });
    await expect(worker.generate({ outputDir: '/o2', config })).rejects.toMatchObject({
      code: 'TL_ERR_WORKER',
      message: expect.stringContaining('exited with code 1'),
    });
  });
});
