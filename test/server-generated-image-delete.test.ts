// test/server-generated-image-delete.test.ts — deleting generated images: one at a time
// (DELETE /api/generated-images/:id: its row and its file go together, its job and the job's other images stay; 404
// for an unknown id or an artifact that is not a generated image, 409 while its job runs) and a finished generate
// job with all of them in one request (DELETE /api/jobs/:id?withImages=true: the rows in one transaction, the files
// with the job's folder); without withImages, the job delete's 409 says both ways.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { loraTrainedOn, preppedVersion } from './helpers/dataset-version.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('generated-image-delete');

/** A generate job ended as `status` (or left running) with two images and a sweep grid, each with its file. */
function generateJob(
  app: FastifyInstance,
  characterId: string,
  status: 'succeeded' | 'running' = 'succeeded',
) {
  const job = app.jobStore.createJob('generate', characterId, {});
  app.jobStore.transition(job.id, 'running');
  if (status === 'succeeded') app.jobStore.transition(job.id, 'succeeded', { result: {} });
  const folder = join(app.dataDir, 'jobs', job.id);
  mkdirSync(join(folder, 'images'), { recursive: true });
  const add = (kind: 'image' | 'grid', name: string) => {
    const path = `jobs/${job.id}/images/${name}.png`;
    writeFileSync(join(app.dataDir, path), 'png');
    return app.catalog.addArtifact({ characterId, jobId: job.id, kind, name, path });
  };
  const images = [add('image', 'seed-1'), add('image', 'seed-2')];
  const grid = add('grid', 'grid');
  return { job, folder, images, grid, file: (name: string) => join(folder, 'images', `${name}.png`) };
}

describe('DELETE /api/generated-images/:id', () => {
  it('deletes the image: its row and its file go; the other images, the grid and the job stay', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const { job, folder, images, grid, file } = generateJob(app, characterId);
    const [first, second] = images;
    const res = await app.inject({ method: 'DELETE', url: `/api/generated-images/${first?.id}` });
    expect(res.statusCode, res.body).toBe(204);
    expect(existsSync(file('seed-1'))).toBe(false);
    expect(existsSync(file('seed-2'))).toBe(true);
    expect(existsSync(folder)).toBe(true);
    const listed = app.catalog.listArtifacts({ jobId: job.id }).map((a) => a.id);
    expect(listed).toEqual([second?.id, grid.id]);
    expect(app.jobStore.getJob(job.id).status).toBe('succeeded');
    const file404 = await app.inject({ method: 'GET', url: `/api/artifacts/${first?.id}/file` });
    expect(file404.statusCode).toBe(404);
    // the grid is a generated image too
    const gridRes = await app.inject({ method: 'DELETE', url: `/api/generated-images/${grid.id}` });
    expect(gridRes.statusCode, gridRes.body).toBe(204);
    expect(existsSync(file('grid'))).toBe(false);
  });

  it('answers 404 in words for an unknown id, and again for an image already deleted', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const { images } = generateJob(app, characterId);
    const res = await app.inject({ method: 'DELETE', url: '/api/generated-images/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toBe('artifact nope not found. List them with GET /api/artifacts.');
    const id = images[0]?.id;
    expect((await app.inject({ method: 'DELETE', url: `/api/generated-images/${id}` })).statusCode).toBe(204);
    const again = await app.inject({ method: 'DELETE', url: `/api/generated-images/${id}` });
    expect(again.statusCode).toBe(404);
  });

  it('answers 404 for a LoRA, which it keeps, naming its own delete', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const { dataset } = await preppedVersion(app, characterId);
    const { lora } = await loraTrainedOn(app, characterId, dataset.id);
    const res = await app.inject({ method: 'DELETE', url: `/api/generated-images/${lora.id}` });
    expect(res.statusCode, res.body).toBe(404);
    expect(res.json().error.message).toBe(
      `artifact ${lora.id} is a LoRA, not a generated image; nothing was deleted. A LoRA is deleted with ` +
        `DELETE /api/loras/${lora.id} (the LoRA page's Delete).`,
    );
    expect(app.catalog.getArtifact(lora.id).id).toBe(lora.id);
  });

  it('is refused (409, in words) while its generate job runs, and keeps the image', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const { job, images, file } = generateJob(app, characterId, 'running');
    const res = await app.inject({ method: 'DELETE', url: `/api/generated-images/${images[0]?.id}` });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error.message).toBe(
      `generated image seed-1 (${images[0]?.id}) was made by generate job ${job.id}, which is running: it is ` +
        'still writing its folder; nothing was deleted. Wait for it to end (or cancel it: the Cancel button on ' +
        `the Generate page, or POST /api/jobs/${job.id}/cancel), then delete the image.`,
    );
    expect(res.json().error.details).toEqual({ id: images[0]?.id, jobIds: [job.id] });
    expect(existsSync(file('seed-1'))).toBe(true);
    expect(app.catalog.listArtifacts({ jobId: job.id })).toHaveLength(3);
  });

  it('is in /openapi.json with its 404 and 409', async () => {
    const app = await makeApp();
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const route = doc.paths['/api/generated-images/{id}']?.delete;
    expect(route).toBeDefined();
    expect(Object.keys(route.responses)).toEqual(expect.arrayContaining(['204', '404', '409']));
    const jobDelete = doc.paths['/api/jobs/{id}']?.delete;
    expect(jobDelete.parameters.map((p: { name: string }) => p.name)).toContain('withImages');
  });
});

describe('DELETE /api/jobs/:id of a generate job with images', () => {
  it('without withImages: 409 saying both ways, nothing deleted', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const { job, folder } = generateJob(app, characterId);
    const res = await app.inject({ method: 'DELETE', url: `/api/jobs/${job.id}` });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error.message).toBe(
      `generate job ${job.id} made 3 generated images (the Generate page), still listed and stored in the job's ` +
        'folder; nothing was deleted. To delete the job, delete them with it (the Generate page\'s "Delete this ' +
        `batch", or DELETE /api/jobs/${job.id}?withImages=true) or one by one first (each image's Delete, or ` +
        'DELETE /api/generated-images/<id>); it keeps its files until then.',
    );
    expect(existsSync(folder)).toBe(true);
    expect(app.catalog.listArtifacts({ jobId: job.id })).toHaveLength(3);
  });

  it('?withImages=true deletes the job, its images and grid rows and its folder in one request', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const { job, folder } = generateJob(app, characterId);
    const other = generateJob(app, characterId);
    const res = await app.inject({ method: 'DELETE', url: `/api/jobs/${job.id}?withImages=true` });
    expect(res.statusCode, res.body).toBe(204);
    expect(existsSync(folder)).toBe(false);
    expect(app.catalog.listArtifacts({ jobId: job.id })).toEqual([]);
    expect((await app.inject({ method: 'GET', url: `/api/jobs/${job.id}` })).statusCode).toBe(404);
    // another job's images stay
    expect(app.catalog.listArtifacts({ jobId: other.job.id })).toHaveLength(3);
    expect(existsSync(other.file('seed-1'))).toBe(true);
  });

  it('?withImages=true is still refused while the job runs, and for what else a job made (a LoRA)', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const running = generateJob(app, characterId, 'running');
    const busy = await app.inject({ method: 'DELETE', url: `/api/jobs/${running.job.id}?withImages=true` });
    expect(busy.statusCode, busy.body).toBe(409);
    expect(app.catalog.listArtifacts({ jobId: running.job.id })).toHaveLength(3);
    const { dataset } = await preppedVersion(app, characterId);
    const { train, lora } = await loraTrainedOn(app, characterId, dataset.id);
    const res = await app.inject({ method: 'DELETE', url: `/api/jobs/${train.id}?withImages=true` });
    expect(res.statusCode, res.body).toBe(409);
    expect(app.catalog.getArtifact(lora.id).id).toBe(lora.id);
  });

  it('a generate job that made no images goes without withImages, as before', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const job = app.jobStore.createJob('generate', characterId, {});
    app.jobStore.transition(job.id, 'cancelled');
    const res = await app.inject({ method: 'DELETE', url: `/api/jobs/${job.id}` });
    expect(res.statusCode, res.body).toBe(204);
  });
});
