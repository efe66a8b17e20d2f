// web/src/components/lora-delete-refusal.test.ts — the LoRA page's words for a delete refused because generate jobs
// use the LoRA: one job or several, linked to the Generate page; any other error is left to the banner.
import { describe, expect, it } from 'vitest';
import { loraInUseWords } from './lora-delete-refusal.js';

const refusal = (jobs: unknown) => ({ status: 409, code: 'TL_ERR_CONFLICT', details: { jobIds: [], jobs } });

describe('loraInUseWords', () => {
  it('names every job and says to cancel them on the Generate page of their character', () => {
    const jobs = [
      { id: 'j1', characterId: 'c1', status: 'running' },
      { id: 'j2', characterId: 'c1', status: 'queued' },
    ];
    expect(loraInUseWords(refusal(jobs), 'mina')).toEqual([
      {
        text: 'The LoRA mina was not deleted: 2 generate jobs that are not done use it (jobs j1, running; j2, queued). Cancel them on the ',
      },
      { text: 'Generate page', href: '#/c/c1/generate' },
      { text: ' or let them finish, then delete the LoRA.' },
    ]);
  });

  it('leaves other errors to the banner (another 409, a 404, a 409 without the jobs)', () => {
    expect(
      loraInUseWords({ status: 409, code: 'TL_ERR_CONFLICT', details: { jobIds: ['t'] } }, 'mina'),
    ).toBeNull();
    expect(loraInUseWords({ status: 404, code: 'TL_ERR_NOT_FOUND', details: {} }, 'mina')).toBeNull();
    expect(loraInUseWords(new Error('x'), 'mina')).toBeNull();
    expect(loraInUseWords(refusal([]), 'mina')).toBeNull();
  });
});
