// test/server-lora-delete-web-words.test.ts — DELETE /api/loras/:id refused (409) while a generate job uses the LoRA:
// API clients get the cancel route in the message; the LoRA page, from the reply's details.jobs, says to cancel on
// the Generate page (linked to the job's character's) and names no route, flag or command. Before, the page showed
// the API's "Cancel that job (the Cancel button by its status, or POST /api/jobs/<id>/cancel)", though the LoRA page
// has no Cancel button and a web user sends no POST.
import { describe, expect, it } from 'vitest';
import { cliWordsIn } from '../src/jobs/job-error-hints.js';
import { loraInUseWords } from '../web/src/components/lora-delete-refusal.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';
import { trainedLora } from './helpers/trained-lora.js';

const { makeApp } = appsClosedAfterEach('lora-delete-web-words');

describe('the LoRA delete refused while a generate job uses it', () => {
  it('names the cancel route for API clients, and the Generate page (linked) on the LoRA page', async () => {
    const app = await makeApp();
    const { characterId, lora } = await trainedLora(app);
    const job = app.jobStore.createJob('generate', characterId, { loraId: lora.id });
    const res = await app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` });
    expect(res.statusCode, res.body).toBe(409);
    const { error } = res.json();
    expect(error.message).toBe(
      `LoRA mina (${lora.id}) is used by a job that is not done: generate job ${job.id} (queued). Cancel it ` +
        `(POST /api/jobs/${job.id}/cancel) or let it finish, then delete the LoRA.`,
    );
    expect(error.details).toEqual({
      jobIds: [job.id],
      jobs: [{ id: job.id, characterId, status: 'queued' }],
    });

    const words = loraInUseWords({ status: 409, code: error.code, details: error.details }, 'mina');
    expect(words).toEqual([
      {
        text: `The LoRA mina was not deleted: a generate job that is not done uses it (job ${job.id}, queued). Cancel it on the `,
      },
      { text: 'Generate page', href: `#/c/${characterId}/generate` },
      { text: ' or let it finish, then delete the LoRA.' },
    ]);
    const shown = (words ?? []).map((part) => part.text).join('');
    expect(shown).not.toMatch(/\/api\/|POST|Cancel button/);
    expect(cliWordsIn(shown)).toEqual([]);
  });
});
