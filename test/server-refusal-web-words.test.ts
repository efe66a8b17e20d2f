// test/server-refusal-web-words.test.ts — a guard: every 4xx refusal a web page can meet (a bad body, an unknown id,
// a conflict, a full queue, a model that is not downloaded, a wrong state, a LoRA format there is none of) is driven
// through app.inject, and none of their messages names a CLI flag or command (`--steps`, `toonlora generate`):
// a ToonloraError with a fix answers with its fix in the web app's words (errors.ts), the rest are worded for it.
// Every route /openapi.json lists is walked too, so a new route's refusals are checked without being named here.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { cliWordsIn } from '../src/jobs/job-error-hints.js';
import type { JobContext } from '../src/jobs/job-queue.js';
import {
  type FixtureTensor,
  makeLokrTensors,
  seededRandom,
  writeFixtureFile,
} from '../src/lora/lora-fixtures.js';
import { requireModelFile } from '../src/models/cache.js';
import { buildApp } from '../src/server/app.js';
import { multipartBody, seedDataset, solidPng, tempDataDir } from './helpers/server-fixtures.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const apps = appsClosedAfterEach('refusal-words');
const { makeApp } = apps;

/** A train job that runs until it is stopped. */
const holdTrain = (context: JobContext) =>
  new Promise<Record<string, unknown>>((_, reject) =>
    context.signal.addEventListener('abort', () => reject(new Error('stopped'))),
  );

interface Refusal {
  readonly what: string;
  readonly status: number;
  readonly message: string;
}

/** Sends each request and keeps every 4xx reply's message, with the request it answered. */
async function refusalsOf(
  app: FastifyInstance,
  requests: ReadonlyArray<{
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
    url: string;
    payload?: Record<string, unknown>;
  }>,
): Promise<Refusal[]> {
  const refusals: Refusal[] = [];
  for (const request of requests) {
    const res = await app.inject(request);
    if (res.statusCode < 400 || res.statusCode >= 500) continue;
    const message = String(res.json().error?.message ?? '');
    refusals.push({ what: `${request.method} ${request.url}`, status: res.statusCode, message });
  }
  return refusals;
}

/** Each refusal that names a CLI flag or command, with where. */
function offenders(refusals: readonly Refusal[]): string[] {
  return refusals.flatMap(({ what, status, message }) =>
    cliWordsIn(message).map((words) => `${what} ${status}: ${words} in "${message}"`),
  );
}

const GONE = '00000000-0000-4000-8000-000000000000';

describe('4xx refusals a web page shows name no CLI flag or command', () => {
  it('bad bodies, unknown ids, wrong states, a full queue, a model not downloaded, a LoKr format', async () => {
    const app = await makeApp({ runners: { train: holdTrain }, maxQueued: 1 });
    const { characterId, datasetId } = await seedDataset(app);
    const Q = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q';
    const lokr = makeLokrTensors(
      [{ path: Q, shapes: { lokr_w1: [16, 16], lokr_w2_a: [20, 4], lokr_w2_b: [4, 20] } }],
      5,
      'kohya',
    );
    await writeFixtureFile(join(app.dataDir, 'lokr.safetensors'), lokr);
    const loraId = app.catalog.addArtifact({
      characterId,
      jobId: null,
      kind: 'lora',
      name: 'mina lokr',
      path: 'lokr.safetensors',
    }).id;
    const random = seededRandom(5);
    const tensor = (name: string, shape: number[]): FixtureTensor => ({
      name,
      dtype: 'F32',
      shape,
      data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 0.1 + 0.5),
    });
    const q = 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q';
    // DoRA per input column (LyCORIS wd_on_out=False): a diffusers / PEFT copy cannot hold it
    await writeFixtureFile(join(app.dataDir, 'dora.safetensors'), [
      tensor(`${q}.lora_down.weight`, [4, 320]),
      tensor(`${q}.lora_up.weight`, [320, 4]),
      tensor(`${q}.dora_scale`, [1, 320]),
    ]);
    const doraId = app.catalog.addArtifact({
      characterId,
      jobId: null,
      kind: 'lora',
      name: 'mina dora',
      path: 'dora.safetensors',
    }).id;
    const train = (params: Record<string, unknown>) => ({
      method: 'POST' as const,
      url: '/api/jobs',
      payload: { kind: 'train', characterId, params: { datasetId, ...params } },
    });
    const running = (await app.inject(train({}))).json().id as string;
    const queued = (await app.inject(train({}))).json().id as string;
    const refusals = await refusalsOf(app, [
      { method: 'POST', url: '/api/characters', payload: {} },
      {
        method: 'POST',
        url: '/api/characters',
        payload: { name: 'Mina', trigger: 'mina_tl', classWord: 'girl' },
      },
      { method: 'PATCH', url: `/api/characters/${GONE}`, payload: { name: 'x' } },
      { method: 'DELETE', url: `/api/characters/${GONE}` },
      { method: 'GET', url: `/api/characters/${GONE}/images` },
      { method: 'GET', url: `/api/characters/${GONE}/datasets` },
      { method: 'GET', url: `/api/datasets/${GONE}` },
      { method: 'GET', url: `/api/datasets/${datasetId}/items/nope` },
      { method: 'GET', url: `/api/datasets/${datasetId}/zip?format=nope` },
      { method: 'GET', url: `/api/images/${GONE}/file` },
      { method: 'DELETE', url: `/api/images/${GONE}` },
      { method: 'GET', url: `/api/artifacts/${GONE}/file` },
      { method: 'GET', url: `/api/loras/${GONE}/inspect` },
      { method: 'GET', url: `/api/loras/${loraId}/download?format=diffusers` },
      { method: 'GET', url: `/api/loras/${loraId}/download?format=peft` },
      { method: 'GET', url: `/api/loras/${loraId}/download?format=nope` },
      { method: 'GET', url: `/api/loras/${doraId}/download?format=diffusers` },
      { method: 'GET', url: `/api/loras/${doraId}/download?format=peft` },
      { method: 'POST', url: '/api/models/nope/pull' },
      { method: 'DELETE', url: '/api/models/isnet-anime' },
      { method: 'DELETE', url: '/api/models/nope' },
      { method: 'GET', url: `/api/jobs/${GONE}` },
      { method: 'POST', url: `/api/jobs/${GONE}/cancel` },
      { method: 'POST', url: `/api/jobs/${running}/resume` },
      { method: 'POST', url: '/api/jobs', payload: { kind: 'nope' } },
      train({ training: { steps: 10, lrWarmupSteps: 10 } }),
      train({ training: { steps: 10, epochs: 2 } }),
      train({ training: { baseModel: '/models/b.safetensors' } }),
      train({ training: { lora: { rank: 0 } } }),
      train({ datasetId: GONE }),
      train({}),
      {
        method: 'POST',
        url: '/api/jobs',
        payload: { kind: 'generate', characterId, params: { loraId, generation: { prompt: ' ' } } },
      },
      {
        method: 'POST',
        url: '/api/jobs',
        payload: { kind: 'prep', characterId, params: { options: { segmenter: 'nope' } } },
      },
      { method: 'POST', url: `/api/jobs/${queued}/cancel` },
      { method: 'POST', url: `/api/jobs/${queued}/cancel` },
    ]);
    expect(refusals.length).toBeGreaterThan(30);
    // the formats a LoKr and a DoRA per input column have none of: named by the LoRA's name and the kohya download
    const formats = refusals.filter((refusal) => refusal.status === 422).map((refusal) => refusal.message);
    expect(formats).toEqual([
      expect.stringMatching(/^LoRA "mina lokr" is a LoKr .* Download it as kohya .*the Generate page/),
      expect.stringMatching(/^LoRA "mina dora" is a DoRA .*no diffusers format.* Download it as kohya/),
      expect.stringMatching(/^LoRA "mina dora" is a DoRA .*no peft format/),
    ]);
    expect(offenders(refusals)).toEqual([]);
  }, 60_000);

  it('every route of /openapi.json, sent an id that names nothing, an empty body, a query off its list', async () => {
    const app = await makeApp({ deferJobs: true });
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<
        string,
        Record<string, { parameters?: Array<{ name: string; in: string; schema: { enum?: unknown[] } }> }>
      >;
    };
    const requests: Parameters<typeof refusalsOf>[1][number][] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      // a remote worker's routes answer `toonlora worker` on its machine, in the CLI's words
      if (path.startsWith('/api/worker/')) continue;
      for (const [verb, operation] of Object.entries(operations)) {
        const method = verb.toUpperCase() as 'GET' | 'POST' | 'PATCH' | 'DELETE';
        const url = path.replace(/\{[^}]+\}/g, GONE);
        requests.push({ method, url });
        for (const query of (operation.parameters ?? []).filter((p) => p.in === 'query' && p.schema.enum))
          requests.push({ method, url: `${url}?${query.name}=zzz` });
        if (method === 'POST' || method === 'PATCH') requests.push({ method, url, payload: {} });
      }
    }
    const refusals = await refusalsOf(app, requests);
    expect(refusals.length).toBeGreaterThan(40);
    expect(offenders(refusals)).toEqual([]);
  });

  it('uploads: a screenshot and a LoRA that are not what they claim', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const refusals: Refusal[] = [];
    const uploads = [
      [`/api/characters/${characterId}/images`, 'files', 'a.png', Buffer.from('not a png')],
      [`/api/characters/${characterId}/images`, 'files', 'tiny.png', await solidPng(8, 8)],
      [`/api/loras?characterId=${characterId}`, 'file', 'l.safetensors', Buffer.from('not a lora')],
      [`/api/loras?characterId=${GONE}`, 'file', 'l.safetensors', Buffer.from('x')],
    ] as const;
    for (const [url, field, filename, data] of uploads) {
      const res = await app.inject({ method: 'POST', url, ...multipartBody([{ field, filename, data }]) });
      const body = res.json();
      // an image upload answers with each refused file and its reason
      const messages: string[] =
        res.statusCode < 400
          ? (body.rejected ?? []).map((r: { reason: string }) => r.reason)
          : [body.error.message];
      for (const message of messages) refusals.push({ what: `POST ${url}`, status: res.statusCode, message });
    }
    expect(refusals.length).toBeGreaterThanOrEqual(4);
    expect(offenders(refusals)).toEqual([]);
  });

  it("a refusal whose error names a fix answers with the fix in the web app's words", async () => {
    const app = await buildApp({ dataDir: tempDataDir('refusal-fix'), runners: {}, webDir: '/nonexistent' });
    apps.apps.push(app);
    const cache = {
      env: { TOONLORA_HOME: join(app.dataDir, 'no-home'), HF_HOME: join(app.dataDir, 'no-hf') },
    };
    // raised where a route met it: a model not downloaded (424), as the model cache raises it
    app.get('/api/planted/model', async () => requireModelFile('isnet-anime', undefined, cache));
    app.get('/api/worker/planted', async () => requireModelFile('isnet-anime', undefined, cache));
    await app.ready();
    const refusals = await refusalsOf(app, [{ method: 'GET', url: '/api/planted/model' }]);
    expect(refusals).toEqual([
      {
        what: 'GET /api/planted/model',
        status: 424,
        message: 'isnet-anime is not downloaded on the server: pull it on the Models page.',
      },
    ]);
    // a remote worker's routes answer `toonlora worker` on its machine: the CLI's words
    const worker = await app.inject({ method: 'GET', url: '/api/worker/planted' });
    expect(worker.json().error.message).toContain('Run: toonlora models pull isnet-anime');
  });
});
