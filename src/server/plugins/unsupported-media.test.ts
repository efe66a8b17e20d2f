// src/server/plugins/unsupported-media.test.ts — a 415's words for a route that takes one file type (a remote
// worker's zip) and for a body sent without a Content-Type. (JSON and upload routes through the real app:
// test/server-unsupported-media.test.ts.)
import { describe, expect, it } from 'vitest';
import { unsupportedMediaMessage } from './unsupported-media.js';

describe('unsupportedMediaMessage', () => {
  it('names the one type a file route takes, and a missing Content-Type', () => {
    const refusal = { method: 'PUT', path: '/api/worker/leases/l1/checkpoint', formFields: [] };
    expect(
      unsupportedMediaMessage({ ...refusal, contentType: 'text/plain', consumes: ['application/zip'] }),
    ).toBe(
      'PUT /api/worker/leases/l1/checkpoint takes application/zip, not text/plain: send the file as the body with Content-Type: application/zip.',
    );
    expect(unsupportedMediaMessage({ ...refusal, contentType: undefined, consumes: undefined })).toMatch(
      /^PUT \/api\/worker\/leases\/l1\/checkpoint takes JSON, and the request has no Content-Type: send JSON/,
    );
  });
});
