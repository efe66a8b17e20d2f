// test/server-openapi-status.test.ts — /openapi.json documents the status codes the routes really answer
// (each request below is sent, and its status must be among the documented ones), and error wording.
import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { multipartBody, solidPng } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('openapi');

type Operation = { responses: Record<string, { content?: unknown }> };

describe('openapi status codes', () => {
  it('documents the 204s without a body, and the 4xx that uploads, cancel and resume answer', async () => {
    const app = await makeApp({ runners: { prep: async () => ({}) }, deferJobs: true });
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, Operation>>;
    };
    const documented = (path: string, method: string) =>
      Object.keys(doc.paths[path]?.[method]?.responses ?? {}).map(Number);

    const characterId = app.catalog.createCharacter({
      name: 'Mina',
      trigger: 'mina_tl',
      classWord: 'girl',
    }).id;
    const png = await solidPng();
    const upload = (field: string, data: Buffer, id = characterId) => ({
      method: 'POST' as const,
      url: `/api/characters/${id}/images`,
      ...multipartBody([{ field, filename: 'a.png', data }]),
    });
    const uploaded = await app.inject(upload('files', png));
    const imageId = uploaded.json().uploaded[0].id;
    const prep = app.queue.submit('prep', characterId, {});
    const other = app.catalog.createCharacter({ name: 'Other', trigger: 'other_tl', classWord: 'girl' }).id;
    const cases: Array<[string, string, InjectOptions]> = [
      ['/api/characters/{id}/images', 'post', upload('files', png)],
      ['/api/characters/{id}/images', 'post', upload('notfiles', png)],
      ['/api/characters/{id}/images', 'post', upload('files', png, 'nobody')],
      ['/api/characters/{id}/images', 'post', upload('files', (await solidPng(64, 64)).subarray(0, 100))],
      ['/api/images/{id}', 'delete', { method: 'DELETE', url: `/api/images/${imageId}` }],
      ['/api/images/{id}', 'delete', { method: 'DELETE', url: `/api/images/${imageId}` }],
      ['/api/characters/{id}', 'delete', { method: 'DELETE', url: `/api/characters/${other}` }],
      ['/api/session', 'post', { method: 'POST', url: '/api/session' }],
      ['/api/jobs/{id}/cancel', 'post', { method: 'POST', url: '/api/jobs/nobody/cancel' }],
      ['/api/jobs/{id}/resume', 'post', { method: 'POST', url: '/api/jobs/nobody/resume' }],
      ['/api/jobs/{id}/resume', 'post', { method: 'POST', url: `/api/jobs/${prep.id}/resume` }],
      ['/api/jobs/{id}/cancel', 'post', { method: 'POST', url: `/api/jobs/${prep.id}/cancel` }],
    ];
    const answered = new Set<string>();
    for (const [path, method, request] of cases) {
      const res = await app.inject(request);
      answered.add(`${method} ${path} ${res.statusCode}`);
      expect(documented(path, method), `${method} ${path} answered ${res.statusCode}`).toContain(
        res.statusCode,
      );
    }
    // every status above was seen, so the cases cover what the finding named
    for (const seen of [
      'post /api/characters/{id}/images 400',
      'post /api/characters/{id}/images 404',
      'post /api/characters/{id}/images 422',
      'delete /api/images/{id} 204',
      'delete /api/characters/{id} 204',
      'post /api/session 204',
      'post /api/jobs/{id}/cancel 404',
      'post /api/jobs/{id}/resume 404',
      'post /api/jobs/{id}/resume 409',
    ]) {
      expect(answered).toContain(seen);
    }
    for (const [path, method] of [
      ['/api/images/{id}', 'delete'],
      ['/api/characters/{id}', 'delete'],
      ['/api/session', 'post'],
    ] as const) {
      expect(documented(path, method)).not.toContain(200);
      expect(doc.paths[path]?.[method]?.responses['204']?.content).toBeUndefined();
    }
  });
});

describe('error wording', () => {
  it('says "an image" for an artifact that is not a LoRA', async () => {
    const app = await makeApp();
    const characterId = app.catalog.createCharacter({
      name: 'Mina',
      trigger: 'mina_tl',
      classWord: 'girl',
    }).id;
    const image = app.catalog.addArtifact({
      characterId,
      jobId: null,
      kind: 'image',
      name: 'seed-1.png',
      path: 'jobs/x/seed-1.png',
    });
    const res = await app.inject({ method: 'GET', url: `/api/loras/${image.id}/inspect` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toBe(`artifact ${image.id} is an image, not a LoRA.`);
  });
});
