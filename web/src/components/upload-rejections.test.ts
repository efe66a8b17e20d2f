import { describe, expect, it } from 'vitest';
import { ApiError } from '../api.js';
import { rejectionsFromError, uploadSummary } from './upload-rejections.js';

describe('rejectionsFromError', () => {
  it('lists every refused file of an upload the server refused whole, not only the first', () => {
    const rejected = [
      {
        name: 'a.txt',
        code: 'TL_ERR_UNSUPPORTED_MEDIA',
        reason: 'a.txt: content is not PNG, JPEG, WebP or GIF',
      },
      { name: 'b.png', code: 'TL_ERR_IMAGE_DECODE', reason: 'b.png: png pixels cannot be decoded' },
    ];
    const error = new ApiError(415, 'TL_ERR_UNSUPPORTED_MEDIA', rejected[0]?.reason ?? '', { rejected });
    expect(rejectionsFromError(error)).toEqual(rejected);
  });

  it('gives nothing for other errors', () => {
    expect(rejectionsFromError(new ApiError(413, 'TL_ERR_PAYLOAD_TOO_LARGE', 'too many files'))).toEqual([]);
    expect(rejectionsFromError(new TypeError('Failed to fetch'))).toEqual([]);
    expect(rejectionsFromError(null)).toEqual([]);
  });
});

describe('web/index.html', () => {
  it('names an inline icon, so no page asks for /favicon.ico (a 404 in the server log)', async () => {
    const { readFileSync } = await import('node:fs');
    const html = readFileSync(new URL('../../index.html', import.meta.url), 'utf8');
    expect(html).toMatch(/<link rel="icon" href="data:[^"]*"/);
  });
});

describe('uploadSummary', () => {
  it('counts the stored and refused files', () => {
    expect(uploadSummary(1, 0)).toBe('Uploaded 1 screenshot.');
    expect(uploadSummary(3, 2)).toBe('Uploaded 3 screenshots; 2 refused (listed below).');
  });
  it('counts the files already uploaded apart', () => {
    expect(uploadSummary(0, 0, 2)).toBe('Uploaded 0 screenshots; 2 already uploaded (not stored again).');
    expect(uploadSummary(1, 1, 1)).toBe(
      'Uploaded 1 screenshot; 1 already uploaded (not stored again); 1 refused (listed below).',
    );
  });
});
