// test/server-stored-file-missing.test.ts — a stored file deleted from the data folder by hand answers a 404
// naming what is missing (no stack, no internal path), logged once at warn, on each route that streams one:
// an uploaded screenshot, a dataset item's stage image, an artifact (image or LoRA) and a LoRA's download in each
// format (converted first for all but kohya), and a dataset's zip, checked whole before its first byte. Without
// `serve --log` the one line goes to stderr.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { kohyaZipStream } from '../src/jobs/kohya-export.js';
import { buildApp } from '../src/server/app.js';
import { appWithLog } from './helpers/logged-app.js';
import {
  readZipEntries,
  seedDataset,
  seedUploads,
  solidPng,
  tempDataDir,
} from './helpers/server-fixtures.js';

const open: FastifyInstance[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const app of open.splice(0)) await app.close();
});

/** The 404 every route answers for a stored file that is gone: the project's error shape, no stack. */
function expectMissing(
  res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown; body: string },
  message: string,
  lines: Array<Record<string, unknown>>,
  dataDir: string,
): void {
  expect(res.statusCode).toBe(404);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['content-disposition']).toBeUndefined();
  expect(res.json()).toEqual({ error: { code: 'TL_ERR_NOT_FOUND', message } });
  expect(res.body).not.toContain(dataDir); // the server's folders stay on the server
  expect(res.body).not.toMatch(/ENOENT|at .*\.js/);
  const warnings = lines.filter((line) => line.msg === message);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]?.level).toBe(40); // pino's warn
  expect(lines.filter((line) => Number(line.level) >= 50)).toEqual([]); // no error, no stack
}

/** Character Mina in `app`'s catalog, and what adds an artifact of hers stored at a data-folder path (its id). */
function artifactsOfMina(
  app: FastifyInstance,
): (kind: 'lora' | 'image', name: string, path: string) => string {
  const characterId = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' }).id;
  return (kind, name, path) => app.catalog.addArtifact({ characterId, jobId: null, kind, name, path }).id;
}

describe('a stored file deleted from the data folder', () => {
  it('GET /api/images/:id/file answers 404 naming the screenshot', async () => {
    const { app, lines } = await appWithLog('stored-file', open, { modelCache: false });
    const { characterId, storedPaths } = await seedUploads(app, ['page-1']);
    const [image] = app.catalog.listImages(characterId);
    const url = `/api/images/${image?.id}/file`;
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
    rmSync(join(app.dataDir, storedPaths[0] ?? ''));
    const res = await app.inject({ method: 'GET', url });
    expectMissing(
      res,
      "the stored screenshot page-1.png is missing from the server's data folder.",
      lines,
      app.dataDir,
    );
  });

  it('GET /api/datasets/:id/items/:key/:stage answers 404 naming the stage and the item', async () => {
    const { app, lines } = await appWithLog('stored-file', open, { modelCache: false });
    const { datasetId } = await seedDataset(app);
    const url = `/api/datasets/${datasetId}/items/a/original`;
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
    const item = app.catalog.getDatasetItem(datasetId, 'a');
    rmSync(join(app.dataDir, item.imagePath));
    const res = await app.inject({ method: 'GET', url });
    expectMissing(
      res,
      `the original image of dataset ${datasetId} item a is missing from the server's data folder.`,
      lines,
      app.dataDir,
    );
  });

  it('GET /api/artifacts/:id/file answers 404 naming the LoRA, without its download headers', async () => {
    const { app, lines } = await appWithLog('stored-file', open, { modelCache: false });
    mkdirSync(join(app.dataDir, 'jobs/x'), { recursive: true });
    writeFileSync(join(app.dataDir, 'jobs/x/mina.safetensors'), Buffer.alloc(16));
    writeFileSync(join(app.dataDir, 'jobs/x/seed-1.png'), await solidPng(8, 8));
    const add = artifactsOfMina(app);
    const lora = add('lora', 'mina', 'jobs/x/mina.safetensors');
    const image = add('image', 'seed-1.png', 'jobs/x/seed-1.png');
    for (const id of [lora, image]) {
      expect((await app.inject({ method: 'GET', url: `/api/artifacts/${id}/file` })).statusCode).toBe(200);
    }
    rmSync(join(app.dataDir, 'jobs/x'), { recursive: true });
    const loraRes = await app.inject({ method: 'GET', url: `/api/artifacts/${lora}/file` });
    expectMissing(
      loraRes,
      "the stored LoRA mina is missing from the server's data folder.",
      lines,
      app.dataDir,
    );
    const imageRes = await app.inject({ method: 'GET', url: `/api/artifacts/${image}/file` });
    expectMissing(
      imageRes,
      "the stored image seed-1.png is missing from the server's data folder.",
      lines,
      app.dataDir,
    );
  });

  it('GET /api/loras/:id/download answers 404 naming the LoRA, in every format', async () => {
    const { app, lines } = await appWithLog('stored-file', open, { modelCache: false });
    const lora = artifactsOfMina(app)('lora', 'mina', 'jobs/y/mina.safetensors');
    for (const format of ['kohya', 'kohya-fp16', 'diffusers', 'peft']) {
      lines.length = 0;
      const res = await app.inject({ method: 'GET', url: `/api/loras/${lora}/download?format=${format}` });
      expectMissing(
        res,
        "the stored LoRA mina is missing from the server's data folder.",
        lines,
        app.dataDir,
      );
    }
  });
});

describe('a dataset zip with an item image deleted from the data folder', () => {
  it('GET /api/datasets/:id/zip answers 404 naming the missing items before any byte of the zip', async () => {
    const { app, lines } = await appWithLog('stored-file', open, { modelCache: false });
    const { datasetId } = await seedDataset(app);
    const url = `/api/datasets/${datasetId}/zip`;
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
    const remove = (key: string) =>
      rmSync(join(app.dataDir, app.catalog.getDatasetItem(datasetId, key).imagePath));
    remove('b');
    expectMissing(
      await app.inject({ method: 'GET', url }),
      `the image of dataset ${datasetId} item b is missing from the server's data folder.`,
      lines,
      app.dataDir,
    );
    remove('a');
    lines.length = 0;
    expectMissing(
      await app.inject({ method: 'GET', url }),
      `the images of dataset ${datasetId} items a, b are missing from the server's data folder.`,
      lines,
      app.dataDir,
    );
  });

  it('an excluded item is not in the zip, so its missing image does not refuse it', async () => {
    const { app } = await appWithLog('stored-file', open, { modelCache: false });
    const { datasetId } = await seedDataset(app);
    rmSync(join(app.dataDir, app.catalog.getDatasetItem(datasetId, 'b').imagePath));
    const patch = await app.inject({
      method: 'PATCH',
      url: `/api/datasets/${datasetId}/items/b`,
      payload: { excluded: true },
    });
    expect(patch.statusCode).toBe(200);
    const res = await app.inject({ method: 'GET', url: `/api/datasets/${datasetId}/zip` });
    expect(res.statusCode).toBe(200);
    expect([...readZipEntries(res.rawPayload).keys()].sort()).toEqual([
      '10_mina_tl girl/a.png',
      '10_mina_tl girl/a.txt',
    ]);
  });

  it('kohyaZipStream fails its stream, not the process, for a file gone after the check', async () => {
    const dataDir = tempDataDir('zip-race');
    const item = { imagePath: 'jobs/x/10_mina_tl girl/a.png', caption: 'mina_tl', excluded: false };
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    await expect(pipeline(kohyaZipStream(dataDir, [item]), sink)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('without serve --log (fastify logger off)', () => {
  it('a missing stored file is said in one line on stderr', async () => {
    const app = await buildApp({ dataDir: tempDataDir('stored-file'), runners: {}, webDir: '/nonexistent' });
    open.push(app);
    await app.ready();
    const { characterId, storedPaths } = await seedUploads(app, ['page-1']);
    const [image] = app.catalog.listImages(characterId);
    rmSync(join(app.dataDir, storedPaths[0] ?? ''));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const res = await app.inject({ method: 'GET', url: `/api/images/${image?.id}/file` });
    expect(res.statusCode).toBe(404);
    const said = stderr.mock.calls.map(([chunk]) => String(chunk));
    expect(said).toEqual([
      `toonlora serve: the stored screenshot page-1.png is missing from the server's data folder. (ENOENT: no such file or folder: ${join(app.dataDir, storedPaths[0] ?? '')})\n`,
    ]);
  });
});
