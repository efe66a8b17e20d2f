// test/server-unsupported-media.test.ts — a body of a type the route does not read (415) says what to send: JSON
// with its Content-Type for a JSON route (a `curl -d 'name=x'` form, plain text), a multipart form with its field for
// the uploads; not fastify's bare "Unsupported Media Type".
import { describe, expect, it } from 'vitest';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('unsupported-media');

const JSON_FIX =
  "send JSON with Content-Type: application/json (curl -H 'Content-Type: application/json' -d '{...}').";

describe('415 replies', () => {
  it('name the type sent and what the route takes', async () => {
    const app = await makeApp();
    const id = await createCharacter(app);
    const post = async (url: string, contentType: string, payload: string) => {
      const res = await app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': contentType },
        payload,
      });
      expect(res.statusCode, res.body).toBe(415);
      expect(res.json().error.code).toBe('TL_ERR_UNSUPPORTED_MEDIA');
      return res.json().error.message as string;
    };
    expect(await post('/api/characters', 'application/x-www-form-urlencoded', 'name=x')).toBe(
      `POST /api/characters takes JSON, not application/x-www-form-urlencoded: ${JSON_FIX}`,
    );
    expect(await post('/api/jobs', 'text/plain; charset=utf-8', 'prep')).toBe(
      `POST /api/jobs takes JSON, not text/plain: ${JSON_FIX}`,
    );
    const upload = `/api/characters/${id}/images`;
    const uploadFix = 'send each file in the form field "files" (curl -F files=@<file>).';
    expect(await post(upload, 'application/json', '{}')).toBe(
      `POST ${upload} takes a multipart/form-data upload, not application/json: ${uploadFix}`,
    );
    expect(await post(upload, 'application/x-www-form-urlencoded', 'files=x')).toBe(
      `POST ${upload} takes a multipart/form-data upload, not application/x-www-form-urlencoded: ${uploadFix}`,
    );
    expect(await post(`/api/loras?characterId=${id}`, 'application/json', '{}')).toBe(
      `POST /api/loras takes a multipart/form-data upload, not application/json: send each file in the form field "file" (curl -F file=@<file>).`,
    );
  });
});
