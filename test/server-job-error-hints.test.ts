// test/server-job-error-hints.test.ts — a server job that fails because its base did not load says the
// trainer's CLI fix and where the web app does the same (the Models page's pull); other failures are as thrown.
import { describe, expect, it } from 'vitest';
import { ToonloraError } from '../src/errors.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const apps = appsClosedAfterEach('job-error-hints');
/** What trainer/toonlora_trainer/base_files.py says of a Hub base's damaged file, given its snapshot folder. */
const BROKEN_HUB_BASE =
  '/home/u/.cache/huggingface/hub/models--someone--toon-sd15/snapshots/c0: cannot load its tokenizer from tokenizer/merges.txt (Merges text file invalid at line 1): a file there is damaged or truncated (a stopped download or copy?). Delete /home/u/.cache/huggingface/hub/models--someone--toon-sd15/snapshots/c0/tokenizer/merges.txt and run `toonlora models pull someone/toon-sd15` again.';

async function failedWith(error: Error) {
  const app = await apps.makeApp({
    runners: {
      train: async () => {
        throw error;
      },
    },
  });
  const character = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
  const job = app.queue.submit('train', character.id, {});
  await app.queue.whenIdle();
  return app.queue.getJob(job.id);
}

describe('a failed job whose base did not load', () => {
  it('names the Models page after the CLI pull', async () => {
    const job = await failedWith(new ToonloraError('TL_ERR_MODEL_MISSING', BROKEN_HUB_BASE));
    expect(job.status).toBe('failed');
    expect(job.error).toEqual({
      code: 'TL_ERR_MODEL_MISSING',
      message: `${BROKEN_HUB_BASE} (In the web app: the Models page pulls someone/toon-sd15.)`,
    });
  });
  it('leaves other failures as they were thrown', async () => {
    const job = await failedWith(new ToonloraError('TL_ERR_WORKER', 'training: no LoRA file was written.'));
    expect(job.error?.message).toBe('training: no LoRA file was written.');
  });
});
