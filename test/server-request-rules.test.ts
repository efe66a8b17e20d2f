// test/server-request-rules.test.ts — request rules the API shares with the CLI: a train job gives steps or epochs,
// not both; a character name is not blank and holds no control characters; a weight sweep needs a LoRA and gives
// each weight once. Each refusal is a 400 naming the field, and nothing is created or queued.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { queueOnlyApps, seedDataset } from './helpers/server-fixtures.js';

const makeApp = queueOnlyApps('rules');

const jobCount = (app: FastifyInstance) => app.queue.listJobs({}).length;

/** POSTs a character of the given name (trigger mina_tl, class girl) to `app`; resolves to the inject response. */
const characterCreator = (app: FastifyInstance) => (name: string) =>
  app.inject({
    method: 'POST',
    url: '/api/characters',
    payload: { name, trigger: 'mina_tl', classWord: 'girl' },
  });

describe('train job length', () => {
  it('refuses steps and epochs together with a 400 naming both, in the words of a config file', async () => {
    const app = await makeApp();
    const { characterId, datasetId } = await seedDataset(app);
    const before = jobCount(app);
    const post = (training: Record<string, unknown>) =>
      app.inject({
        method: 'POST',
        url: '/api/jobs',
        payload: {
          kind: 'train',
          characterId,
          params: { datasetId, training: { baseModel: 'tiny', ...training } },
        },
      });
    const both = await post({ steps: 5, epochs: 2 });
    expect(both.statusCode).toBe(400);
    const message: string = both.json().error.message;
    expect(message).toBe(
      'invalid request: body.params.training.epochs: params.training.steps and params.training.epochs both set the training length. Give only one of them.',
    );
    expect(jobCount(app)).toBe(before);
    // a config file says the same about its own keys (one rule: src/schemas/config.ts)
    const dir = mkdtempSync(join(tmpdir(), 'tl-rules-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ training: { steps: 5, epochs: 2 } }));
    expect(() => loadConfig({ file: join(dir, 'c.json') })).toThrow(
      /training\.steps and training\.epochs both set the training length\. Keep only one of them\./,
    );
    // either one alone is a job
    expect((await post({ steps: 5 })).statusCode).toBe(201);
    expect((await post({ epochs: 2 })).statusCode).toBe(201);
    expect(jobCount(app)).toBe(before + 2);
  });
});

describe('character names', () => {
  it('refuses control characters and says a blank name is blank', async () => {
    const app = await makeApp();
    const create = characterCreator(app);
    for (const name of ['nul\u0000x', 'two\nlines', 'tab\there', 'del\u007f', 'c1\u0085']) {
      const res = await create(name);
      expect(res.statusCode, JSON.stringify(name)).toBe(400);
      expect(res.json().error.message).toContain('body.name: a name cannot hold line breaks, tabs, NUL');
    }
    const blank = await create('  ');
    expect(blank.statusCode).toBe(400);
    expect(blank.json().error.message).toBe('invalid request: body.name: a name cannot be blank, got "  ".');
    expect(app.catalog.listCharacters()).toEqual([]);
    // a name with spaces, accents and emoji inside is still a name; a rename follows the same rules
    const ok = await create('  Mina Ōkami 🌸  ');
    expect(ok.statusCode).toBe(201);
    expect(ok.json().name).toBe('Mina Ōkami 🌸');
    const rename = await app.inject({
      method: 'PATCH',
      url: `/api/characters/${ok.json().id}`,
      payload: { name: 'a\u0000b' },
    });
    expect(rename.statusCode).toBe(400);
  });

  it('refuses invisible and line-break characters, calls an invisible-only name blank, and escapes them in the message', async () => {
    const app = await makeApp();
    const create = characterCreator(app);
    // line / paragraph separator, RTL override (spoofing), soft hyphen, BOM, word joiner, LRM, an astral format char
    for (const [name, shown] of [
      ['Ann\u2028x', 'Ann\\u2028x'],
      ['Ann\u2029x', 'Ann\\u2029x'],
      ['Ann\u202ex', 'Ann\\u202ex'],
      ['A\u00adnn', 'A\\u00adnn'],
      ['An\ufeffn', 'An\\ufeffn'],
      ['An\u2060n', 'An\\u2060n'],
      ['An\u200en', 'An\\u200en'],
      ['An\u{1d173}n', 'An\\ud834\\udd73n'],
    ] as const) {
      const res = await create(name);
      expect(res.statusCode, JSON.stringify(name)).toBe(400);
      expect(res.json().error.message).toBe(
        `invalid request: body.name: a name cannot hold line breaks, tabs, NUL, other control characters or invisible format characters (line / paragraph separators, zero-width spaces, bidi overrides, soft hyphens, BOM), got "${shown}".`,
      );
    }
    // a C1 control is named escaped, not echoed raw (it showed as got "Annx")
    expect((await create('Ann\u0085x')).json().error.message).toContain('got "Ann\\u0085x"');
    // a name that shows nothing is blank, even when its characters are allowed inside a name (a joiner)
    for (const [name, shown] of [
      ['\u200b', '\\u200b'],
      [' \u200d\u3164 ', ' \\u200d\u3164 '],
    ] as const) {
      const res = await create(name);
      expect(res.statusCode, JSON.stringify(name)).toBe(400);
      expect(res.json().error.message).toBe(
        `invalid request: body.name: a name cannot be blank: it holds only invisible characters, got "${shown}".`,
      );
    }
    expect(app.catalog.listCharacters()).toEqual([]);
    // joiners inside a visible name stay: a Persian name (ZWNJ), an emoji sequence (ZWJ) and a subdivision flag (tags)
    for (const name of [
      '\u0645\u06cc\u200c\u0646\u0627',
      'Mina \u{1f469}\u200d\u{1f4bb}',
      'Mina \u{1f3f4}\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}',
    ]) {
      expect((await create(name)).statusCode, JSON.stringify(name)).toBe(201);
    }
    // the openapi pattern stays portable: plain \u ranges, no \p{...}
    const openapi = (await app.inject({ method: 'GET', url: '/openapi.json' })).body;
    expect(openapi).toContain(String.raw`\\u200b\\u200e-\\u200f\\u2028-\\u202e`);
    expect(openapi).not.toContain(String.raw`\\p{`);
  });
});

describe('generate weight sweeps', () => {
  it('needs a LoRA for weights, and each weight once', async () => {
    const app = await makeApp();
    const { characterId } = await seedDataset(app);
    const before = jobCount(app);
    const lora = app.catalog.addArtifact({
      characterId,
      jobId: null,
      kind: 'lora',
      name: 'mina.safetensors',
      path: 'loras/mina.safetensors',
    });
    const post = (params: Record<string, unknown>) =>
      app.inject({
        method: 'POST',
        url: '/api/jobs',
        payload: { kind: 'generate', characterId, params: { generation: { baseModel: 'tiny' }, ...params } },
      });
    const noLora = await post({ weights: [0.5] });
    expect(noLora.statusCode).toBe(400);
    expect(noLora.json().error.message).toContain(
      'body.params.weights: weights set the strength of a LoRA: give loraId too',
    );
    const twice = await post({ loraId: lora.id, weights: [0, 0, -4] });
    expect(twice.statusCode).toBe(400);
    expect(twice.json().error.message).toContain(
      'body.params.weights: weight 0 is given more than once: each repeat renders the same row of images again; give each weight once',
    );
    expect(jobCount(app)).toBe(before);
    expect((await post({ loraId: lora.id, weights: [0, 0.5, -4] })).statusCode).toBe(201);
    expect((await post({})).statusCode).toBe(201); // the base model alone, no sweep
    expect(jobCount(app)).toBe(before + 2);
  });
});
