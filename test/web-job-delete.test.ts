// test/web-job-delete.test.ts — "Delete this job" on the Train and Upload pages in chromium against a real server on
// loopback: a finished train job's (a prep job's) button asks first, saying what goes (Cancel keeps it), then the job,
// its log and its folder go and the page shows the run (build) it would reopen without it, else none. A succeeded
// train job whose LoRA is listed, a build whose dataset version is listed, is refused: the server's words (delete that
// first) show, the job stays, also on the tab the user went on to, naming the page. A read of the prep jobs begun
// before the delete and answered after it does not bring the deleted build back.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordRunLora } from './helpers/finished-run.js';
import { answerDialogs } from './helpers/dialogs.js';
import { holdAnswer, holdBack, isGet, sleep } from './helpers/held-requests.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { stoppedTrainJob } from './helpers/stopped-train-job.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let url: string;

beforeAll(async () => {
  web = await startWebSession('web-job-delete', { runners: {} });
  ({ url } = web);
}, 180_000);

afterAll(() => web?.close());

/** A job of `kind` that ran and ended `status`, with a file in its folder (a sample, a log's leftovers); its folder.
 * Created a few ms after the one before (the pages reopen the newest). */
async function endedJob(
  app: FastifyInstance,
  characterId: string,
  kind: 'train' | 'prep',
  status: 'failed' | 'succeeded',
) {
  await sleep(20);
  const job = app.jobStore.createJob(kind, characterId, {});
  app.jobStore.transition(job.id, 'running');
  app.jobStore.transition(
    job.id,
    status,
    status === 'failed'
      ? { error: { code: 'TL_ERR_WORKER', message: 'stopped for this test' } }
      : { result: {} },
  );
  const folder = join(app.dataDir, 'jobs', job.id);
  mkdirSync(join(folder, 'samples'), { recursive: true });
  writeFileSync(join(folder, 'samples', 'step-10.png'), 'png');
  return { job, folder };
}

const gone = (app: FastifyInstance, jobId: string) => () => app.jobStore.getJob(jobId);

describe('Train page: Delete this job', () => {
  it('asks first, deletes the run with its folder, then shows the previous run, then none', async () => {
    const { app } = web;
    const { characterId, datasetId } = await seedDataset(app, 'Mina');
    const older = stoppedTrainJob(app, characterId, datasetId);
    const newer = await endedJob(app, characterId, 'train', 'failed');
    const tab = await web.browser.newPage();
    let answer = false;
    const questions = answerDialogs(tab, () => answer);
    await tab.goto(`${url}/#/c/${characterId}/train`);
    const badge = tab.locator('[data-testid=job-status]');
    await expect.poll(() => badge.textContent()).toBe('failed');

    await tab.click('[data-testid=delete-job]');
    await expect.poll(() => questions.length).toBe(1);
    expect(questions[0]).toMatch(
      /^Delete this training run \(failed\)\? Its log, loss history, sample images and checkpoints are deleted/,
    );
    expect(app.jobStore.getJob(newer.job.id).status).toBe('failed');

    answer = true;
    await tab.click('[data-testid=delete-job]');
    await expect.poll(() => existsSync(newer.folder)).toBe(false);
    expect(gone(app, newer.job.id)).toThrow(/not found/);
    // the run a reload would reopen without it
    await expect.poll(() => badge.textContent()).toBe('cancelled');

    await tab.click('[data-testid=delete-job]');
    await expect.poll(() => tab.getByText('No training yet.').count()).toBe(1);
    expect(gone(app, older.id)).toThrow(/not found/);
    expect(await tab.locator('[data-testid=delete-job]').count()).toBe(0);
    expect(await tab.getByRole('alert').count()).toBe(0);
    await tab.close();
  }, 60_000);

  it("a succeeded run whose LoRA is listed is refused in the server's words; the job stays", async () => {
    const { app } = web;
    const { characterId } = await seedDataset(app, 'Rin');
    const { job, folder } = await endedJob(app, characterId, 'train', 'succeeded');
    recordRunLora(app, { characterId, jobId: job.id, name: 'rin', runRel: `jobs/${job.id}/rin` });
    const tab = await web.browser.newPage();
    const questions = answerDialogs(tab, () => true);
    await tab.goto(`${url}/#/c/${characterId}/train`);
    await tab.click('[data-testid=delete-job]');
    const alert = tab.getByRole('alert');
    await alert.waitFor({ timeout: 10_000 });
    expect(questions[0]).toContain(
      'While the LoRA page lists the LoRA it made, delete that LoRA there first',
    );
    expect(await alert.textContent()).toMatch(/made LoRA rin .*delete that LoRA first/);
    expect(app.jobStore.getJob(job.id).status).toBe('succeeded');
    expect(existsSync(folder)).toBe(true);
    // offered again, the job still shown
    await expect.poll(() => tab.locator('[data-testid=delete-job]').textContent()).toBe('Delete this job');
    expect(await tab.locator('[data-testid=job-status]').textContent()).toBe('succeeded');
    await tab.close();
  }, 60_000);

  it('a refusal that comes after the user went to the Generate tab shows there, naming the Train page', async () => {
    const { app } = web;
    const { characterId } = await seedDataset(app, 'Kai');
    const { job } = await endedJob(app, characterId, 'train', 'succeeded');
    recordRunLora(app, { characterId, jobId: job.id, name: 'kai', runRel: `jobs/${job.id}/kai` });
    const tab = await web.browser.newPage();
    answerDialogs(tab, () => true);
    await tab.goto(`${url}/#/c/${characterId}/train`);
    // the delete reaches the server (and is refused) 1.5 s later, the user on the Generate tab by then
    await holdBack(tab, `**/api/jobs/${job.id}`, 1_500, (route) => route.request().method() === 'DELETE');
    await tab.click('[data-testid=delete-job]');
    await tab.locator('nav a', { hasText: 'Generate' }).click();
    await tab.waitForSelector('h1:has-text("Kai: Generate")');
    const alert = tab.getByRole('alert');
    await alert.waitFor({ timeout: 10_000 });
    expect(await alert.textContent()).toMatch(/delete that LoRA first.*\(from Kai: Train\)$/);
    expect(app.jobStore.getJob(job.id).status).toBe('succeeded');
    await tab.close();
  }, 60_000);
});

describe('Upload page: Delete this job', () => {
  it('deletes a failed build, shows the previous one, whose listed dataset version refuses its delete', async () => {
    const { app } = web;
    const { characterId } = await seedDataset(app, 'Yuki');
    const failed = await endedJob(app, characterId, 'prep', 'failed');
    const tab = await web.browser.newPage();
    const questions = answerDialogs(tab, () => true);
    await tab.goto(`${url}/#/c/${characterId}/upload`);
    const badge = tab.locator('[data-testid=job-status]');
    await expect.poll(() => badge.textContent()).toBe('failed');

    await tab.click('[data-testid=delete-job]');
    await expect.poll(() => existsSync(failed.folder)).toBe(false);
    expect(questions[0]).toMatch(
      /^Delete this build \(failed\)\? Its log and the files .* The screenshots stay\.$/,
    );
    expect(gone(app, failed.job.id)).toThrow(/not found/);
    await expect.poll(() => badge.textContent()).toBe('succeeded');
    await tab.getByText('Review the dataset →').waitFor();

    await tab.click('[data-testid=delete-job]');
    const alert = tab.getByRole('alert');
    await alert.waitFor({ timeout: 10_000 });
    expect(questions[1]).toContain('While its dataset version v1 is listed, delete it first');
    expect(await alert.textContent()).toMatch(/made dataset version .*delete that version first/);
    expect(await badge.textContent()).toBe('succeeded');
    await tab.close();
  }, 60_000);

  it('a read of the prep jobs begun before the delete and answered after it does not bring the build back', async () => {
    const { app } = web;
    const character = app.catalog.createCharacter({ name: 'Sora', trigger: 'sora_tl', classWord: 'girl' });
    const failed = await endedJob(app, character.id, 'prep', 'failed');
    const tab = await web.browser.newPage();
    answerDialogs(tab, () => true);
    // the second read (the one the character's stream asks for as it opens) reaches the page 3 s after the server
    // answered, with the build in it
    await holdAnswer(tab, `**/api/jobs?characterId=${character.id}&kind=prep`, 3_000, (route, n) => {
      return isGet(route) && n === 2;
    });
    await tab.goto(`${url}/#/c/${character.id}/upload`);
    await tab.click('[data-testid=delete-job]');
    await expect.poll(() => tab.locator('[data-testid=job-status]').count()).toBe(0);
    expect(gone(app, failed.job.id)).toThrow(/not found/);
    await sleep(3_500); // the held answer has come by now
    expect(await tab.locator('[data-testid=job-status]').count()).toBe(0);
    expect(await tab.locator('[data-testid=delete-job]').count()).toBe(0);
    await tab.close();
  }, 60_000);
});
