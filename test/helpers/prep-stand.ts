// test/helpers/prep-stand.ts — a server test's start of a prep job on the real prep runner whose runPrep is
// the test's stand-in (vi.mock of src/prep/pipeline.js): the stand-in calls `stand.started()` once it runs.
import type { FastifyInstance } from 'fastify';
import { createDefaultRunners } from '../../src/jobs/runners/default-runners.js';
import { buildApp } from '../../src/server/app.js';
import { seedUploads, tempDataDir, tempModelCache } from './server-fixtures.js';

/** What a test shares with its hoisted stand-in runPrep: `running` settles when the stand-in calls `started`. */
export interface PrepStand {
  started: () => void;
  running: Promise<void>;
}

/** A server (data in a fresh `dataDirName` folder) with a character of two uploaded screenshots, its prep job
 * submitted and the stand-in under way (the run's inputs are staged). */
export async function startStandInPrep(
  stand: PrepStand,
  dataDirName: string,
): Promise<{ app: FastifyInstance; jobId: string }> {
  stand.running = new Promise((resolve) => {
    stand.started = resolve;
  });
  const dataDir = tempDataDir(dataDirName);
  const app = await buildApp({
    dataDir,
    modelCache: tempModelCache(dataDir),
    webDir: '/nonexistent',
    runners: createDefaultRunners,
  });
  await app.ready();
  const { characterId } = await seedUploads(app, ['a', 'b']);
  const job = app.queue.submit('prep', characterId, {});
  await stand.running;
  return { app, jobId: job.id };
}
