// test/helpers/base-jobs.ts — for the API job tests about which base model a job loads: a stand-in
// serve-generation worker that logs its base, and a train job on a seeded dataset run to its end.
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { seedDataset } from './server-fixtures.js';

/** A serve-generation worker process (`node -e`) that logs the base model it was started with and each request's. */
export const BASE_ECHO_WORKER = `
const emit = (event) => process.stdout.write(JSON.stringify({ version: 1, ...event }) + '\\n');
const lines = require('node:readline').createInterface({ input: process.stdin });
lines.once('line', (first) => {
  const serve = JSON.parse(first);
  emit({ type: 'ready', load_s: 0.1, device: 'cpu' });
  lines.on('line', (line) => {
    const r = JSON.parse(line);
    if (r.command === 'shutdown') process.exit(0);
    emit({ type: 'log', level: 'warn', message: 'base ' + serve.base_model + ' | ' + r.config.baseModel, id: r.id });
    emit({ type: 'done', artifacts: { images: [], grid: null }, stats: { swap_s: 0, generate_s: 0 }, id: r.id });
  });
});
`;

/** Seeds a dataset, submits a train job on it with `training` (201 expected) and waits for the queue; the job as stored. */
export async function runTrainJob(app: FastifyInstance, training: Record<string, unknown>) {
  const { characterId, datasetId } = await seedDataset(app);
  const res = await app.inject({
    method: 'POST',
    url: '/api/jobs',
    payload: { kind: 'train', characterId, params: { datasetId, training } },
  });
  expect(res.statusCode).toBe(201);
  await app.queue.whenIdle();
  return app.jobStore.getJob(res.json().id);
}
