// test/server-character-rename.test.ts — PATCH /api/characters/:id through fastify `inject`: a new name under
// the create rules, 409 when another character has it, trigger and class word untouched; POST /api/characters
// refuses a taken name by the same rule.
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach();

async function create(app: FastifyInstance, name: string): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/characters',
    payload: { name, trigger: `${name.toLowerCase()}_tl`, classWord: 'girl' },
  });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

const rename = (app: FastifyInstance, id: string, payload: unknown) =>
  app.inject({ method: 'PATCH', url: `/api/characters/${id}`, payload: payload as object });

describe('PATCH /api/characters/:id', () => {
  it('renames a character, trimmed, and keeps its trigger and class word', async () => {
    const app = await makeApp();
    const id = await create(app, 'Mina');
    const res = await rename(app, id, { name: '  Mina (summer)  ' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, name: 'Mina (summer)', trigger: 'mina_tl', classWord: 'girl' });
    const list = (await app.inject({ method: 'GET', url: '/api/characters' })).json().characters;
    expect(list).toEqual([expect.objectContaining({ id, name: 'Mina (summer)' })]);
  });

  it('refuses a name another character has (any case) with 409, and an empty or unknown key with 400', async () => {
    const app = await makeApp();
    const mina = await create(app, 'Mina');
    const sora = await create(app, 'Sora');
    const clash = await rename(app, sora, { name: 'mina' });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().error.code).toBe('TL_ERR_CONFLICT');
    expect(clash.json().error.message).toBe(
      'the name "mina" is taken by another character (Mina); Sora keeps its name. Choose another name.',
    );
    expect(clash.json().error.details).toMatchObject({ id: sora, clashId: mina });
    const empty = await rename(app, sora, { name: '   ' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.message).toContain('body.name');
    const typo = await rename(app, sora, { nmae: 'Hana' });
    expect(typo.statusCode).toBe(400);
    const long = await rename(app, sora, { name: 'x'.repeat(81) });
    expect(long.statusCode).toBe(400);
    // its own name in another case is no clash
    expect((await rename(app, mina, { name: 'MINA' })).json().name).toBe('MINA');
    const names = (await app.inject({ method: 'GET', url: '/api/characters' })).json().characters;
    expect(names.map((c: { name: string }) => c.name)).toEqual(['MINA', 'Sora']);
  });

  it('creating a character with a name another has (any case) is 409 naming it, and records nothing', async () => {
    const app = await makeApp();
    const mina = await create(app, 'Mina');
    const res = await app.inject({
      method: 'POST',
      url: '/api/characters',
      payload: { name: 'MINA', trigger: 'mina2_tl', classWord: 'girl' },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('TL_ERR_CONFLICT');
    expect(res.json().error.message).toBe(
      'the name "MINA" is taken by another character (Mina); no character was created. Choose another name.',
    );
    expect(res.json().error.details).toMatchObject({ name: 'MINA', clashId: mina });
    const names = (await app.inject({ method: 'GET', url: '/api/characters' })).json().characters;
    expect(names.map((c: { name: string }) => c.name)).toEqual(['Mina']);
    // a name freed by a rename can be taken
    await rename(app, mina, { name: 'Mina (old)' });
    await create(app, 'mina');
  });

  it('answers 404 for an unknown character', async () => {
    const app = await makeApp();
    const res = await rename(app, 'nope', { name: 'Hana' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('TL_ERR_NOT_FOUND');
  });
});
