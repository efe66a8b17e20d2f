// web/src/components/generate-lora.test.tsx — the Generate page's LoRA field once the chosen LoRA was deleted: it
// stays chosen, with an entry and words saying so (no silent switch to the newest), and the server's 404 for it is
// told apart from other refusals.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Artifact } from '../../../src/schemas/api.js';
import { ApiError } from '../api.js';
import { chosenLoraGone, goneLoraWords, isGoneLoraRefusal, LoraField } from './generate-lora.js';
import { listedLora } from './lora-address.js';

const lora: Artifact = {
  id: 'l1',
  characterId: 'c1',
  jobId: null,
  kind: 'lora',
  name: 'rin',
  url: '/api/artifacts/l1/file',
  meta: {},
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe("the Generate page's LoRA once it was deleted", () => {
  it('is gone when chosen and not listed; none chosen or not read yet is not', () => {
    expect(chosenLoraGone('l0', [lora])).toBe(true);
    expect(chosenLoraGone('l1', [lora])).toBe(false);
    expect(chosenLoraGone('', [lora])).toBe(false);
    expect(chosenLoraGone('l0', null)).toBe(false);
  });

  it('stays chosen, with words that leave the choice to the user', () => {
    const html = renderToStaticMarkup(
      <LoraField loras={[lora]} loraId="l0" goneName={null} invalid={false} onChange={() => {}} />,
    );
    expect(html).toContain('<option value="l0" disabled="" selected="">(deleted LoRA)</option>');
    expect(html).toContain(
      'The LoRA this job used was deleted (on the LoRA page, perhaps in another tab). Choose another LoRA, or &quot;(none)&quot; for the base model alone.',
    );
    expect(goneLoraWords('mina')).toMatch(/^The LoRA mina was deleted/);
    // the form error says it instead (one message, on the field)
    const refused = renderToStaticMarkup(
      <LoraField loras={[lora]} loraId="l0" goneName="mina" invalid={true} onChange={() => {}} />,
    );
    expect(refused).toContain('>mina (deleted)</option>');
    expect(refused).toContain('aria-invalid="true"');
    expect(refused).not.toContain('data-testid="lora-deleted"');
  });

  it('shows no deleted entry while the LoRA is listed', () => {
    const html = renderToStaticMarkup(
      <LoraField loras={[lora]} loraId="l1" goneName={undefined} invalid={false} onChange={() => {}} />,
    );
    expect(html).not.toContain('deleted');
    expect(html).toContain('<option value="l1" selected="">rin</option>');
  });

  it("takes an older, hidden row of a listed LoRA's file for that LoRA: chosen, not deleted", () => {
    // two rows an older toonlora recorded for one file list as one (the newest, naming the other in sameFileIds); a
    // reopened job made with the older row showed "(deleted LoRA)" and Generate was refused, though the file is there
    const listed: Artifact = { ...lora, id: 'l3', sameFileIds: ['l2'] };
    expect(chosenLoraGone('l2', [lora, listed])).toBe(false);
    expect(chosenLoraGone('l3', [lora, listed])).toBe(false);
    expect(chosenLoraGone('l9', [lora, listed])).toBe(true);
    expect(listedLora([lora, listed], 'l2')).toBe(listed);
    expect(listedLora([lora, listed], 'l9')).toBeUndefined();
    const html = renderToStaticMarkup(
      <LoraField
        loras={[lora, listed]}
        loraId="l2"
        goneName={undefined}
        invalid={false}
        onChange={() => {}}
      />,
    );
    expect(html).toContain('<option value="l3" selected="">rin</option>');
    expect(html).not.toContain('deleted');
  });

  it("is the server's 404 for the chosen LoRA, not another refusal", () => {
    const notFound = new ApiError(404, 'TL_ERR_NOT_FOUND', 'artifact l0 not found.', { id: 'l0' });
    expect(isGoneLoraRefusal(notFound, 'l0')).toBe(true);
    expect(isGoneLoraRefusal(notFound, 'l1')).toBe(false);
    expect(isGoneLoraRefusal(notFound, '')).toBe(false);
    expect(isGoneLoraRefusal(new ApiError(409, 'TL_ERR_CONFLICT', 'busy', { id: 'l0' }), 'l0')).toBe(false);
    expect(isGoneLoraRefusal(new Error('x'), 'l0')).toBe(false);
  });
});
