// test/server-lora-download-gone.test.ts — the LoRA page's Download of a LoRA deleted elsewhere since the page read its
// list: the server's 404 for the deleted row goes to the page's "deleted elsewhere" handling (onGone), while a stored
// file missing on disk (the row still there) and any other refusal keep going to the error banner (onError). The
// browser side (the page's words) is test/web-lora-download-gone.test.ts.
import { unlinkSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { downloadFailureHandler } from '../web/src/components/lora-downloads.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';
import { trainedLora } from './helpers/trained-lora.js';

const { makeApp } = appsClosedAfterEach('lora-download-gone');

/** The refusal as the web app's ApiError carries it (status, code, details). */
function refusal(res: { statusCode: number; json: () => { error: { code: string; details?: unknown } } }) {
  const { error } = res.json();
  return { status: res.statusCode, code: error.code, details: error.details ?? {} };
}

/** Which of onGone / onError the handler called for `error`. */
function routed(loraId: string, error: unknown, withGone = true) {
  const onError = vi.fn();
  const onGone = vi.fn();
  downloadFailureHandler(loraId, onError, withGone ? onGone : undefined)(error);
  return { gone: onGone.mock.calls.length, error: onError.mock.calls.length };
}

describe("a LoRA download's refusal", () => {
  it('goes to onGone when the LoRA was deleted, to onError when only its file is missing', async () => {
    const app = await makeApp();
    const deleted = await trainedLora(app, 'Ann');
    const kept = await trainedLora(app, 'Bea');
    expect((await app.inject({ method: 'DELETE', url: `/api/loras/${deleted.lora.id}` })).statusCode).toBe(
      204,
    );
    const gone = await app.inject({
      method: 'GET',
      url: `/api/loras/${deleted.lora.id}/download?format=kohya`,
    });
    expect(gone.statusCode).toBe(404);
    expect(routed(deleted.lora.id, refusal(gone))).toEqual({ gone: 1, error: 0 });
    // the page gave no onGone: the banner, as before
    expect(routed(deleted.lora.id, refusal(gone), false)).toEqual({ gone: 0, error: 1 });
    // another LoRA's 404 is not this one's
    expect(routed(kept.lora.id, refusal(gone))).toEqual({ gone: 0, error: 1 });

    unlinkSync(app.catalog.artifactFilePath(kept.lora.id));
    const missing = await app.inject({
      method: 'GET',
      url: `/api/loras/${kept.lora.id}/download?format=kohya`,
    });
    expect(missing.statusCode).toBe(404);
    expect(routed(kept.lora.id, refusal(missing))).toEqual({ gone: 0, error: 1 });
    expect(routed(kept.lora.id, new TypeError('Failed to fetch'))).toEqual({ gone: 0, error: 1 });
  });
});
