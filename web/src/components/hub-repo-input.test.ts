// web/src/components/hub-repo-input.test.ts — the Models page's Hub repo field: ids and pasted Hub addresses in,
// a sentence out for text that is not a repo id.
import { describe, expect, it } from 'vitest';
import {
  fieldsAfterPull,
  readHubRepoInput,
  readHubRevisionInput,
  revisionOfHubAddress,
} from './hub-repo-input.js';

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
  it('reads the revision a pasted address shows (/tree/v1.0, /blob/<sha>/file), none for an id or a bare address', () => {
    const sha = 'c'.repeat(40);
    expect(revisionOfHubAddress('https://huggingface.co/someone/toon-sd15/tree/v1.0')).toBe('v1.0');
    expect(readHubRepoInput('https://huggingface.co/someone/toon-sd15/tree/v1.0').repo).toBe(
      'someone/toon-sd15',
    );
    expect(revisionOfHubAddress(`https://huggingface.co/a/b/blob/${sha}/unet/config.json`)).toBe(sha);
    expect(revisionOfHubAddress('https://huggingface.co/a/b/tree/refs%2Fpr%2F1')).toBe('refs/pr/1');
    expect(revisionOfHubAddress('https://huggingface.co/a/b')).toBeUndefined();
    expect(revisionOfHubAddress('a/b')).toBeUndefined();
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

describe('fieldsAfterPull', () => {
  const ended = (repo: string, succeeded: boolean) => ({ repo, active: false, succeeded });
  it('keeps the typed repo after a refusal or failure, and clears it only once its pull succeeded', () => {
    expect(fieldsAfterPull('someone/sdxl', ended('someone/sdxl', false))).toBe('keep');
    expect(fieldsAfterPull('someone/toon', ended('someone/toon', true))).toBe('clear');
    expect(fieldsAfterPull('someone/toon', { repo: 'someone/toon', active: true, succeeded: false })).toBe(
      'wait',
    );
    expect(fieldsAfterPull('someone/toon', ended('someone/other', true))).toBe('wait');
    expect(fieldsAfterPull(null, ended('someone/toon', true))).toBe('wait');
  });
  it('reads an empty revision as main (none sent), else the revision trimmed', () => {
    expect(readHubRevisionInput('  ')).toBeUndefined();
    expect(readHubRevisionInput(' v1.0 ')).toBe('v1.0');
  });
});
