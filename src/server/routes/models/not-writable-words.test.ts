// Tests of a not-writable model cache error (TL_ERR_CONFIG, src/models/not-writable.ts) as the Models page shows
// it: the step for whoever runs the server in the web's words, from the error's details; the CLI text unchanged.
import { describe, expect, it } from 'vitest';
import { notWritableError, notWritableRootError } from '../../../models/not-writable.js';
import { pullErrorOf } from './pull-state.js';

const roots = { toonloraHome: '/srv/tl-home', hfHubCache: '/srv/hf/hub' };
const eacces = Object.assign(new Error('EACCES'), { code: 'EACCES', path: '/srv/hf/hub/models--a--b' });

describe('a not-writable model cache error on the Models page', () => {
  it("words the HF cache's step for whoever runs the server, the reason kept, no CLI instruction", () => {
    const error = notWritableError(eacces, roots);
    const shown = pullErrorOf(error, 'a/b');
    expect(shown).toEqual({
      code: 'TL_ERR_CONFIG',
      message:
        'cannot write to the Hugging Face cache /srv/hf/hub (EACCES: permission denied at /srv/hf/hub/models--a--b). ' +
        'Whoever runs the server must make /srv/hf/hub writable there, or set HF_HOME (or HF_HUB_CACHE) on the server to a writable folder.',
    });
    expect(shown.message).not.toContain('Set HF_HOME');
  });

  it('words a home found unwritable before the pull (probe) the same way, naming TOONLORA_HOME', () => {
    const shown = pullErrorOf(notWritableRootError(roots, false, '/srv/tl-home: EROFS'), 'u2net');
    expect(shown.message).toBe(
      "cannot write to toonlora's home /srv/tl-home (/srv/tl-home: EROFS). " +
        'Whoever runs the server must make /srv/tl-home writable there, or set TOONLORA_HOME on the server to a writable folder.',
    );
  });

  it('keeps the CLI text and carries the step as data', () => {
    const error = notWritableRootError(roots, true, '/srv/hf/hub: EROFS');
    expect(error.message).toBe(
      'cannot write to the Hugging Face cache /srv/hf/hub (/srv/hf/hub: EROFS). ' +
        "Set HF_HOME (or HF_HUB_CACHE) to a writable folder, or fix the folder's permissions",
    );
    expect(error.details).toMatchObject({
      folder: '/srv/hf/hub',
      fix: { setting: 'HF_HOME (or HF_HUB_CACHE)' },
    });
  });

  it('leaves a TL_ERR_CONFIG error without those details as it is', () => {
    const other = Object.assign(new Error('bad config'), {
      name: 'ToonloraError',
      code: 'TL_ERR_CONFIG',
      details: { folder: '/x' },
    });
    expect(pullErrorOf(other, 'a/b').message).toBe('bad config');
  });
});
