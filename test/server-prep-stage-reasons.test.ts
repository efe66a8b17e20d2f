// test/server-prep-stage-reasons.test.ts — a prep job on a server without prep's models: the stage choices it
// announces (its info log lines, the Upload page's line under the status while it runs) are in the web app's words,
// and its result's `stages` carry each reason's parts as data, which the Upload page words. Before, the log lines
// said `toonlora models pull isnet-anime` and `toonlora models pull lama`.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliWordsIn } from '../src/jobs/job-error-hints.js';
import { createPrepRunner } from '../src/jobs/runners/prep-runner.js';
import { webStageReason } from '../src/jobs/web-stage-words.js';
import { seedUploads, tempDataDir } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('prep-stage-reasons');

describe('a prep job without models', () => {
  it("announces its stage choices in the web app's words and returns their reasons' parts", async () => {
    const root = tempDataDir('stage-reasons');
    const modelCache = { env: { TOONLORA_HOME: join(root, 'home'), HF_HOME: join(root, 'hf') } };
    const app = await makeApp({ modelCache, runners: (deps) => ({ prep: createPrepRunner(deps) }) });
    const { characterId } = await seedUploads(app);
    const res = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'prep', characterId, params: { options: { characters: 'all' } } },
    });
    expect(res.statusCode).toBe(201);
    await app.queue.whenIdle();
    const job = (await app.inject({ method: 'GET', url: `/api/jobs/${res.json().id}` })).json();
    expect(job.status).toBe('succeeded');
    const logs = app.jobStore
      .listEvents(job.id, 0)
      .flatMap((e) => (e.body.type === 'log' && e.body.level === 'info' ? [e.body.message] : []));
    expect(logs).toContain(
      'segmenter: classic (auto: isnet-anime is not downloaded; pulling isnet-anime on the Models page gives better masks on busy panels)',
    );
    expect(logs.flatMap(cliWordsIn)).toEqual([]);
    const stages = job.result.stages;
    expect(stages.segmenter.reasonParts).toContainEqual({ kind: 'pull-model', id: 'isnet-anime' });
    expect(stages.segmenter.reason).toContain('`toonlora models pull isnet-anime`'); // the manifest's, the CLI's
    const web = Object.values(stages).map((choice) => webStageReason(choice as object));
    expect(web.flatMap(cliWordsIn)).toEqual([]);
  }, 120_000);
});
