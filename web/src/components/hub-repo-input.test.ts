// web/src/components/hub-repo-input.test.ts — the Models page's Hub repo field: ids and pasted Hub addresses in,
// a sentence out for text that is not a repo id.
import { describe, expect, it } from 'vitest';
import { readHubRepoInput } from './hub-repo-input.js';

describe('readHubRepoInput', () => {
  it('takes owner/name trimmed, and a pasted Hub address as its id', () => {
    expect(readHubRepoInput('  someone/toon-sd15 ')).toEqual({ repo: 'someone/toon-sd15', problem: null });
    expect(readHubRepoInput('https://huggingface.co/someone/toon.sd15')).toMatchObject({
      repo: 'someone/toon.sd15',
    });
    expect(readHubRepoInput('https://huggingface.co/someone/toon-sd15/tree/main')).toMatchObject({
      repo: 'someone/toon-sd15',
    });
  });
  it('says what is wrong with an empty field, a bare name, a path or dots', () => {
    expect(readHubRepoInput(' ').problem).toContain('Type a Hugging Face Hub repo id, owner/name');
    for (const bad of ['toon-sd15', 'a/b/c', '../etc', 'someone/..', 'some one/x']) {
      const read = readHubRepoInput(bad);
      expect(read.repo, bad).toBeNull();
      expect(read.problem, bad).toContain(`"${bad}" is not a Hub repo id: write it as owner/name`);
    }
  });
});
