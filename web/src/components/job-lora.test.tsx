// web/src/components/job-lora.test.tsx — a succeeded train job's LoRA on the Train page: a link while the LoRA it
// made is on the server, opening that LoRA (not the character's newest), the words "was deleted" (no link) once
// DELETE /api/loras/:id removed it.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Artifact } from '../../../src/schemas/api.js';
import { followJobLoras, JOB_LORA_DELETED, JobLoraLinkView, jobLoraId, jobLoraState } from './job-lora.js';

const lora = (jobId: string | null, id = 'l1'): Artifact => ({
  id,
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
    const html = renderToStaticMarkup(<JobLoraLinkView characterId="c1" state="deleted" loraId={null} />);
    expect(html).toContain(JOB_LORA_DELETED);
    expect(html).not.toContain('<a');
    expect(html).not.toContain('download');
  });

  it("opens the job's own LoRA, not the character's newest", () => {
    // l2 (another job's) is the newest: the link names l1, which the LoRA page then shows
    const loras = [lora('j1', 'l1'), lora('j2', 'l2')];
    expect(jobLoraId(loras, 'j1')).toBe('l1');
    expect(jobLoraId(loras, 'j3')).toBeNull();
    expect(jobLoraId(null, 'j1')).toBeNull();
    expect(renderToStaticMarkup(<JobLoraLinkView characterId="c1" state="present" loraId="l1" />)).toBe(
      '<a href="#/c/c1/lora/l1">Open the LoRA →</a>',
    );
  });

  it('links to the LoRA page as it opens when the LoRA is not known yet (the list not read, no result)', () => {
    expect(renderToStaticMarkup(<JobLoraLinkView characterId="c1" state="unknown" loraId={null} />)).toBe(
      '<a href="#/c/c1/lora">Open the LoRA →</a>',
    );
  });

  it('reads the list again when the user comes back to the tab: a LoRA deleted elsewhere meanwhile is said so', async () => {
    // before, a Train tab left open kept "Open the LoRA →" (read once) after another tab deleted the LoRA
    const document = Object.assign(new EventTarget(), { visibilityState: 'visible' });
    const targets = { window: new EventTarget(), document };
    const answers = [[lora('j1')], []];
    const shown: Artifact[][] = [];
    const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
    const stop = followJobLoras(
      targets,
      async () => answers.shift() ?? [],
      (list) => shown.push(list),
    );
    await settle();
    expect(jobLoraState(shown.at(-1) ?? null, 'j1')).toBe('present');
    targets.window.dispatchEvent(new Event('focus'));
    await settle();
    expect(shown).toHaveLength(2);
    expect(jobLoraState(shown.at(-1) ?? null, 'j1')).toBe('deleted');
    stop();
    document.dispatchEvent(new Event('visibilitychange'));
    await settle();
    expect(shown).toHaveLength(2);
  });
});
