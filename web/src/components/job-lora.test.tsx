// web/src/components/job-lora.test.tsx — a succeeded train job's LoRA on the Train page: a link while the LoRA it
// made is on the server, the words "was deleted" (no link) once DELETE /api/loras/:id removed it.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Artifact } from '../../../src/schemas/api.js';
import { JOB_LORA_DELETED, JobLoraLinkView, jobLoraState } from './job-lora.js';

const lora = (jobId: string | null): Artifact => ({
  id: 'l1',
  characterId: 'c1',
  jobId,
  kind: 'lora',
  name: 'mina',
  url: '/api/artifacts/l1/file',
  meta: {},
  createdAt: '2026-01-01T00:00:00.000Z',
});

describe("a train job's LoRA", () => {
  it('is present while a LoRA the job made is listed, deleted when none is, unknown before the list', () => {
    expect(jobLoraState([lora('j1')], 'j1')).toBe('present');
    expect(jobLoraState([], 'j1')).toBe('deleted');
    expect(jobLoraState([lora('j2'), lora(null)], 'j1')).toBe('deleted');
    expect(jobLoraState(null, 'j1')).toBe('unknown');
  });

  it('says the LoRA was deleted instead of linking to it', () => {
    const html = renderToStaticMarkup(<JobLoraLinkView characterId="c1" state="deleted" />);
    expect(html).toContain(JOB_LORA_DELETED);
    expect(html).not.toContain('<a');
    expect(html).not.toContain('download');
  });

  it('links to the LoRA page while it is there (and until the list is read)', () => {
    for (const state of ['present', 'unknown'] as const)
      expect(renderToStaticMarkup(<JobLoraLinkView characterId="c1" state={state} />)).toBe(
        '<a href="#/c/c1/lora">Open the LoRA →</a>',
      );
  });
});
