// test/server-prep-warnings.test.ts — a prep job whose crops got quality warnings (prep stood in): each
// warning is logged as a warning under the job's status line, its last status line counts them, and the
// dataset version keeps them per item (GET /api/datasets/:id).
import { describe, expect, it, vi } from 'vitest';
import type { Manifest } from '../src/schemas/manifest.js';
import { seedUploads } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const stand = vi.hoisted(() => ({ prep: undefined as unknown }));
vi.mock('../src/prep/pipeline.js', () => ({
  runPrep: (options: unknown) => (stand.prep as (options: unknown) => Promise<unknown>)(options),
}));
const { createPrepRunner } = await import('../src/jobs/runners/prep-runner.js');

const WARNING = 'quality warning: text removal erased 12 % of the character (40x40 at 0,0)';
const box = { x: 0, y: 0, width: 8, height: 8 };

const { makeApp } = appsClosedAfterEach('prep-warnings');

/** The manifest runPrep would give for one input with two crops, the first one warned. */
function manifestFor(source: string): Manifest {
  const crop = (name: string, warnings: string[]) => ({
    image: `10_mina_tl girl/${name}.png`,
    captionFile: `10_mina_tl girl/${name}.txt`,
    caption: 'mina_tl, girl',
    characterBox: box,
    cropBox: box,
    dhash: '0123456789abcdef',
    warnings,
  });
  return {
    summary: { files: 1, ok: 1, skipped: 0, error: 0, crops: 2, warnings: 1 },
    files: [
      {
        source,
        status: 'ok',
        reason: null,
        reasonCode: null,
        crops: [crop('001-a', [WARNING]), crop('001-a-2', [])],
        rejected: [],
        timingsMs: {},
      },
    ],
  } as unknown as Manifest;
}

describe('a prep job with crop quality warnings', () => {
  it('logs them as warnings, counts them in its last status line and keeps them per dataset item', async () => {
    stand.prep = async (options: { inputs: string[] }) => ({
      outDir: '/out',
      datasetDir: '/out/10_mina_tl girl',
      manifestPath: '/out/manifest.json',
      manifest: manifestFor(options.inputs[0] as string),
      keptPrevious: false,
      notProcessed: 0,
    });
    const app = await makeApp({ runners: (deps) => ({ prep: createPrepRunner(deps) }) });
    const { characterId, storedPaths } = await seedUploads(app);
    const _rel = storedPaths[0] as string;
    const job = app.queue.submit('prep', characterId, {});
    await app.queue.whenIdle();
    const done = app.queue.getJob(job.id);
    expect(done.status).toBe('succeeded');
    expect(done.progress?.message).toBe(
      '2 crops from 1 screenshot (1 ok, 0 skipped, 0 failed), 1 quality warning (listed below)',
    );
    const warns = app.jobStore
      .listEvents(job.id)
      .map((event) => event.body)
      .filter((body) => body.type === 'log' && body.level === 'warn');
    expect(warns).toEqual([{ type: 'log', level: 'warn', message: `a.png: ${WARNING}` }]);

    const datasetId = String((done.result as { datasetId: string }).datasetId);
    const res = await app.inject({ method: 'GET', url: `/api/datasets/${datasetId}` });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<{ key: string; warnings: string[] }>;
    expect(items.map((item) => [item.key, item.warnings])).toEqual([
      ['001-a', [WARNING]],
      ['001-a-2', []],
    ]);
  });
});
