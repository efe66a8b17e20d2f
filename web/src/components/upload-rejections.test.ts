import { describe, expect, it } from 'vitest';
import { ApiError } from '../api.js';
import { DEFAULT_UPLOAD_LIMITS } from './upload-batches.js';
import {
  duplicateNames,
  type ImageSizeReader,
  refuseOversize,
  refuseTooSmall,
  rejectionsFromError,
  uploadDuplicateNames,
  uploadSummary,
} from './upload-rejections.js';

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
  it('names the files already uploaded, with the stored screenshot they match (was only counted)', () => {
    expect(uploadSummary(0, 0, [{ name: 'a.png' }, { name: 'b.png' }])).toBe(
      'Uploaded 0 screenshots; already uploaded, not stored again: a.png, b.png.',
    );
    expect(uploadSummary(1, 1, [{ name: 'dup-copy.png', sameAs: 'panel-01.png' }])).toBe(
      'Uploaded 1 screenshot; already uploaded, not stored again: dup-copy.png (same as panel-01.png); 1 refused (listed below).',
    );
  });
});

describe('duplicateNames', () => {
  it('names the screenshot each duplicate matches when the page has it', () => {
    const images = [{ id: 'img-1', originalName: 'panel-01.png' }];
    const duplicates = [
      { name: 'dup-copy.png', existingId: 'img-1' },
      { name: 'other.png', existingId: 'img-9' },
    ];
    expect(duplicateNames(duplicates, images)).toEqual([
      { name: 'dup-copy.png', sameAs: 'panel-01.png' },
      { name: 'other.png' },
    ]);
  });
});

describe('duplicates within one upload', () => {
  const m = (n: number) => `m${String(n).padStart(3, '0')}.png`;
  it('names the match a file of the same drop repeats (before: no "(same as m000.png)", the list from before the upload lacked it)', () => {
    const result = {
      uploaded: [{ id: 'img-new', originalName: 'm000.png' }],
      duplicates: [{ name: 'm001.png', existingId: 'img-new' }],
    };
    expect(uploadDuplicateNames(result, [{ id: 'img-old', originalName: 'old.png' }])).toEqual([
      { name: 'm001.png', sameAs: 'm000.png' },
    ]);
  });

  it('shortens a long list of the same match (before: all 299 names)', () => {
    const duplicates = Array.from({ length: 299 }, (_, i) => ({ name: m(i + 1), sameAs: m(0) }));
    expect(uploadSummary(1, 0, duplicates)).toBe(
      'Uploaded 1 screenshot; already uploaded, not stored again: m001.png, m002.png and 297 more, all the same as m000.png.',
    );
    expect(uploadSummary(1, 0, duplicates.slice(0, 2))).toBe(
      'Uploaded 1 screenshot; already uploaded, not stored again: m001.png (same as m000.png), m002.png (same as m000.png).',
    );
    const unknown = Array.from({ length: 5 }, (_, i) => ({ name: m(i) }));
    expect(uploadSummary(0, 0, [...unknown, { name: 'x.png', sameAs: 'a.png' }])).toBe(
      'Uploaded 0 screenshots; already uploaded, not stored again: m000.png, m001.png and 3 more, x.png (same as a.png).',
    );
  });
});

describe('refuseOversize', () => {
  it('refuses a file over the limit before sending it, in the words the server uses', () => {
    const max = DEFAULT_UPLOAD_LIMITS.maxFileBytes;
    const files = [
      { name: 'huge.png', size: 108_000_000 },
      { name: 'ok.png', size: 1000 },
      { name: 'edge.png', size: max },
    ];
    const { accepted, refused } = refuseOversize(files, max);
    expect(accepted.map((f) => f.name)).toEqual(['ok.png', 'edge.png']);
    expect(refused).toEqual([
      {
        name: 'huge.png',
        code: 'TL_ERR_PAYLOAD_TOO_LARGE',
        // the sentence src/jobs/upload-images.test.ts asserts for the server's refusal
        reason: 'huge.png: larger than the 25 MiB limit per file; refused. Send a smaller file.',
      },
    ]);
  });
});

describe('refuseTooSmall', () => {
  it("refuses an image whose shorter side the browser reads as under the server's minimum, in the server's words", async () => {
    // before: such a file was sent and only the server's answer refused it
    const sizes: Record<string, { width: number; height: number } | null> = {
      'thread.png': { width: 20, height: 20000 },
      'edge.png': { width: 64, height: 900 },
      'page.png': { width: 1200, height: 1800 },
      'odd.bmp': null, // a file the browser does not decode: sent, the server decides
    };
    const read: string[] = [];
    const readSize: ImageSizeReader = async (file) => {
      const { name } = file as File;
      read.push(name);
      return sizes[name] ?? null;
    };
    const files = Object.keys(sizes).map((name) => new File([new Uint8Array(4)], name));
    const { accepted, refused } = await refuseTooSmall(files, DEFAULT_UPLOAD_LIMITS.minSidePx, readSize);
    expect(read).toEqual(Object.keys(sizes));
    expect(accepted.map((f) => f.name)).toEqual(['edge.png', 'page.png', 'odd.bmp']);
    expect(refused).toEqual([
      {
        name: 'thread.png',
        code: 'TL_ERR_IMAGE_DECODE',
        // the sentence test/server-uploads.test.ts asserts for the server's refusal
        reason:
          'thread.png: 20x20000 pixels; the shorter side must be at least 64 px; refused. Upload a larger screenshot.',
      },
    ]);
  });

  it("uses the server's minimum, and sends everything where the browser cannot read sizes", async () => {
    const file = new File([new Uint8Array(4)], 'a.png');
    const small = async () => ({ width: 90, height: 90 });
    expect((await refuseTooSmall([file], 100, small)).refused.map((r) => r.name)).toEqual(['a.png']);
    expect((await refuseTooSmall([file], 64, small)).accepted).toEqual([file]);
    // node has no createImageBitmap: the default reader reads nothing and refuses nothing
    expect((await refuseTooSmall([file], 64)).accepted).toEqual([file]);
  });
});
