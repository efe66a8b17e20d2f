// test/server-generate-web-words.test.ts — a generate job speaks to a web user in the web app's words: a LoRA whose
// stored file is gone fails the job naming the LoRA and the fix on the server (it said "LoRA file not found. Check
// --lora.", a CLI flag), and a blank prompt is a 400 naming the field (the web form posted "" unwarned).
import { describe, expect, it } from 'vitest';
import { standInGenerationWorker } from '../src/jobs/generation-stand-in-testing.js';
import { createDefaultRunners } from '../src/jobs/runners/default-runners.js';
import { WarmGenerationService } from '../src/jobs/warm-generation.js';
import { BLANK_PROMPT_MESSAGE } from '../src/schemas/api-jobs.js';
import { addCharacterWithLoraRow } from './helpers/job-stand-ins.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('generate-words');

async function appWithLora() {
  const { factory, requests } = standInGenerationWorker({});
  const app = await makeApp({
    runners: createDefaultRunners,
    generation: new WarmGenerationService(factory),
  });
  // a LoRA row whose file is not in the data folder (deleted by hand, a swapped disk)
  const { characterId, lora } = addCharacterWithLoraRow(app);
  const post = (generation: Record<string, unknown>) =>
    app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'generate', characterId, params: { loraId: lora.id, generation } },
    });
  return { app, post, requests };
}

describe('generate jobs in the web app words', () => {
  it('a LoRA whose file is gone fails the job naming the LoRA and the fix on the server, no CLI flag', async () => {
    const { app, post, requests } = await appWithLora();
    const res = await post({ baseModel: 'tiny', prompt: 'mina_tl, 1girl' });
    expect(res.statusCode).toBe(201);
    await app.queue.whenIdle();
    const job = app.jobStore.getJob(res.json().id);
    expect(job.status).toBe('failed');
    expect(job.error?.message).toBe(
      `The file of LoRA "mina.safetensors" is missing from the server's data folder. Upload it again on the LoRA page, or train it again.`,
    );
    expect(job.error?.message).not.toMatch(/--/);
    expect(requests).toHaveLength(0); // the worker was never asked
  }, 30_000);

  it('refuses an empty or blank prompt with a 400 naming the field; a left-out prompt is the default', async () => {
    const { app, post } = await appWithLora();
    const before = app.queue.listJobs({}).length;
    for (const prompt of ['', '   \n']) {
      const res = await post({ baseModel: 'tiny', prompt });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toContain(`body.params.generation.prompt: ${BLANK_PROMPT_MESSAGE}`);
    }
    expect(app.queue.listJobs({}).length).toBe(before);
    expect((await post({ baseModel: 'tiny' })).statusCode).toBe(201);
  }, 30_000);
});
