// test/server-query-keys.test.ts — a list route's query holds only the keys its schema knows: an unknown one
// (`GET /api/jobs?limit=-1`, a typo such as `?stauts=queued`) is refused with 400 naming it, instead of being
// ignored and answering every job; known keys keep working.
import { describe, expect, it } from 'vitest';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('query-keys');

describe('unknown query keys', () => {
  it('refuses GET /api/jobs?limit=-1 with 400 naming the key', async () => {
    const app = await makeApp();
    const res = await app.inject({ method: 'GET', url: '/api/jobs?limit=-1' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'TL_ERR_USAGE',
      message: expect.stringContaining(
        'query.limit: unknown key; known keys here: characterId, kind, status.',
      ),
      details: { fields: ['query.limit'] },
    });
  });

  it('suggests the known key for a typo, on the artifacts list too', async () => {
    const app = await makeApp();
    const jobs = await app.inject({ method: 'GET', url: '/api/jobs?stauts=queued' });
    expect(jobs.statusCode).toBe(400);
    expect(jobs.json().error.message).toContain('query.stauts: unknown key; did you mean status?');
    const artifacts = await app.inject({ method: 'GET', url: '/api/artifacts?limit=5' });
    expect(artifacts.statusCode).toBe(400);
    expect(artifacts.json().error.details).toMatchObject({ fields: ['query.limit'] });
  });

  it('keeps answering the known keys', async () => {
    const app = await makeApp();
    expect((await app.inject({ method: 'GET', url: '/api/jobs?status=queued' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/artifacts?kind=lora' })).statusCode).toBe(200);
  });
});
