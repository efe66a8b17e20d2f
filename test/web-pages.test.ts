// test/web-pages.test.ts — the train, LoRA and generate pages in chromium against a real server on
// loopback, with a stand-in trainer (paced progress, a sample, a LoRA file) and a stand-in generation
// service behind the real generate runner: the loss chart updates live, cancel + resume, inspect and
// snippet, a weight sweep grid with timing. Screenshots go to test-artifacts/web/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDataPath } from '../src/jobs/data-path.js';
import type { GenerationRequest, GenerationService } from '../src/jobs/generation-service.js';
import type { JobContext } from '../src/jobs/job-queue.js';
import { createDefaultRunners, type RunnerDeps } from '../src/jobs/runners/default-runners.js';
import { convertLora } from '../src/lora/convert.js';
import { makePeftTensors, writePeftFolder } from '../src/lora/lora-fixtures.js';
import { solidPng, tempDataDir } from './helpers/server-fixtures.js';
import { WEB_ARTIFACTS as ARTIFACTS, startSeededWebSession, type WebSession } from './helpers/web-session.js';

const STEPS = 24;

/** Stand-in trainer: a falling loss every 60 ms, a sample at step 12, a kohya LoRA at the end. */
let trainedWith: unknown;
function standInTrain(deps: RunnerDeps) {
  return async (context: JobContext) => {
    const { job } = context;
    trainedWith = job.params;
    context.emit({ type: 'log', level: 'info', message: 'LoRA: 128 modules' });
    context.emit({
      type: 'log',
      level: 'warn',
      message: 'b.png: cannot read image (truncated); left out of the training set',
    });
    const first = context.resume && job.checkpoint ? Number(job.checkpoint.split('-')[1]) + 1 : 1;
    for (let step = first; step <= STEPS; step++) {
      if (context.signal.aborted) throw new Error('stopped');
      await new Promise((resolve) => setTimeout(resolve, 60));
      context.progress({
        step,
        total: STEPS,
        loss: 0.2 + 0.5 / step + 0.03 * Math.sin(step),
        itPerS: 16.5,
        etaS: (STEPS - step) / 16.5,
      });
      context.emit({ type: 'checkpoint', step, path: `step-${step}` });
      if (step === 12) {
        const rel = `jobs/${job.id}/samples/step-12.png`;
        mkdirSync(dirname(resolveDataPath(deps.dataDir, rel)), { recursive: true });
        writeFileSync(resolveDataPath(deps.dataDir, rel), await solidPng(64, 64, [90, 140, 220]));
        const sample = deps.catalog.addArtifact({
          characterId: job.characterId,
          jobId: job.id,
          kind: 'sample',
          name: 'step 12',
          path: rel,
        });
        context.emit({ type: 'sample', step, artifactIds: [sample.id], urls: [sample.url] });
      }
    }
    const peft = resolveDataPath(deps.dataDir, `jobs/${job.id}/peft`);
    const modules = ['down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q'];
    await writePeftFolder(peft, makePeftTensors({ modules, rank: 4, seed: 1 }), {
      r: 4,
      lora_alpha: 4,
      target_modules: ['to_q'],
    });
    const rel = `jobs/${job.id}/mina.safetensors`;
    await convertLora({ input: peft, output: resolveDataPath(deps.dataDir, rel), to: 'kohya' });
    const lora = deps.catalog.addArtifact({
      characterId: job.characterId,
      jobId: job.id,
      kind: 'lora',
      name: 'mina',
      path: rel,
      meta: { steps: STEPS, baseModel: 'tiny' }, // as the train runner records it; generate uses that base
    });
    return { loraId: lora.id };
  };
}

/** A request with this many steps renders its first weight, then holds the next one until it is cancelled. */
const HOLD_STEPS = 77;

/** Stand-in generation service: solid images whose colour follows the weight; warm after the first call. */
class StandInGeneration implements GenerationService {
  calls = 0;
  async generate(request: GenerationRequest) {
    const warm = this.calls++ > 0;
    mkdirSync(request.outDir, { recursive: true });
    const images = [];
    for (const [index, weight] of request.weights.entries()) {
      if (index === 1 && request.generation.steps === HOLD_STEPS) {
        const signal = request.signal as AbortSignal;
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        const timing = { warm, loadMs: 0, loraSwapMs: 12, generateMs: 300, totalMs: 312 };
        return { images, stopped: true, timing };
      }
      for (const seed of request.generation.seeds) {
        const path = join(request.outDir, `w${weight}-s${seed}.png`);
        writeFileSync(
          path,
          await solidPng(64, 64, [Math.round(255 * Math.min(1, weight)), 120, (seed * 40) % 255]),
        );
        images.push({ path, seed, weight });
      }
    }
    return {
      images,
      timing: { warm, loadMs: warm ? 0 : 1500, loraSwapMs: 12, generateMs: 300, totalMs: warm ? 312 : 1812 },
    };
  }
  async close() {}
}

let web: WebSession;
let url: string;
let page: Page;
let characterId: string;

beforeAll(async () => {
  ({ web, characterId } = await startSeededWebSession('web-pages', {
    generation: new StandInGeneration(),
    runners: (deps) => ({ ...createDefaultRunners(deps), train: standInTrain(deps) }),
    // a server without any downloaded model: the Train form starts on tiny and names the missing default base
    modelCache: { env: { TOONLORA_HOME: tempDataDir('no-models'), HF_HOME: tempDataDir('no-hf') } },
  }));
  ({ url, page } = web);
}, 180_000);

afterAll(() => web?.close());

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const chartPoints = () => page.locator('svg.loss-chart').getAttribute('data-points').then(Number);

describe('web app: train, LoRA, generate', () => {
  it('shows the loss chart growing live, cancels and resumes from the checkpoint', async () => {
    await page.goto(`${url}/#/c/${characterId}/train`);
    await expect(page.inputValue('input[name=rank]')).resolves.toBe('32');
    await expect(page.inputValue('input[name=snrGamma]')).resolves.toBe('5');
    await expect(page.inputValue('select[name=algorithm]')).resolves.toBe('lora');
    // the default base is not downloaded: the fresh form starts on tiny, which runs, and says why
    await page.waitForFunction(
      () => (document.querySelector('input[name=baseModel]') as HTMLInputElement | null)?.value === 'tiny',
    );
    await expect(page.textContent('[data-testid=base-model-note]')).resolves.toMatch(
      /^The form starts on tiny \(a small random-weight .*\) because the default base, anything-v5, is not downloaded on the server\. To train on it, pull it on the Models page/,
    );
    await page.fill('input[name=baseModel]', 'anything-v5');
    await expect(page.textContent('[data-testid=base-model-note]')).resolves.toContain(
      'anything-v5 is not downloaded on the server: pull it on the Models page',
    );
    await page.fill('input[name=baseModel]', 'tiny');
    await expect(page.textContent('[data-testid=base-model-note]')).resolves.toContain(
      'a small random-weight',
    );
    await page.selectOption('select[name=algorithm]', 'lokr');
    await page.fill('input[name=steps]', String(STEPS));
    await page.click('button:has-text("Start training")');
    await page.waitForFunction(
      () => Number(document.querySelector('svg.loss-chart')?.getAttribute('data-points')) >= 3,
    );
    expect(trainedWith).toMatchObject({
      training: { baseModel: 'tiny', lora: { algorithm: 'lokr', rank: 32 } },
    });
    // the job's warn lines are listed under its status line, its info lines are not
    await expect(page.locator('[data-testid=job-warnings] li').allTextContents()).resolves.toEqual([
      'b.png: cannot read image (truncated); left out of the training set',
    ]);
    const early = await chartPoints();
    await page.waitForFunction(
      (n) => Number(document.querySelector('svg.loss-chart')?.getAttribute('data-points')) > n,
      early,
    );
    await page.click('button:has-text("Cancel")');
    await page.waitForSelector('[data-testid=job-status]:has-text("cancelled")');
    const stoppedAt = await chartPoints();
    expect(stoppedAt).toBeLessThan(STEPS);
    await page.click('button:has-text("Resume from checkpoint")');
    await page.waitForSelector('[data-testid=job-status]:has-text("succeeded")', { timeout: 30_000 });
    await page.waitForSelector('[data-testid=samples] img');
    expect(await chartPoints()).toBe(STEPS);
    await shot('04-train');
  }, 60_000);

  it('shows the LoRA metadata, download links and the A1111 snippet', async () => {
    await page.click('a:has-text("Open the LoRA")');
    await page.waitForSelector('[data-testid=snippet]');
    await expect(page.textContent('[data-testid=snippet]')).resolves.toBe('<lora:mina:0.8>, mina_tl');
    await page.waitForSelector('table.meta:has-text("kohya")');
    await page.waitForSelector('table.meta:has-text("a1111 ✓ · comfyui ✓ · diffusers ✓")');
    expect(await page.locator('a:has-text("Download (diffusers)")').getAttribute('href')).toContain(
      'format=diffusers',
    );
    // Copy answers either way (headless chromium may refuse the clipboard): never a silent click
    await page.click('button:has-text("Copy")');
    await page.waitForSelector('button:has-text("Copied"), button:has-text("Copy failed")');
    await shot('05-lora');
  }, 30_000);

  it('generates a weight sweep grid; the second request finds the worker warm', async () => {
    await page.click('nav a:has-text("Generate")');
    await page.waitForSelector('textarea[name=prompt]');
    expect(await page.inputValue('textarea[name=prompt]')).toMatch(/^mina_tl, /);
    const before = web.app.queue.listJobs({ kind: 'generate', characterId }).length;
    await page.dblclick('button:has-text("Generate")'); // an impatient double click starts one job
    await page.waitForSelector('[data-testid=timing]:has-text("base loaded in 1.5 s")');
    expect(web.app.queue.listJobs({ kind: 'generate', characterId })).toHaveLength(before + 1);
    await page.check('text=Weight sweep');
    await page.click('button[type=submit]:has-text("Generate")');
    await page.waitForSelector('[data-testid=timing]:has-text("warm worker")');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=results] img').length === 6);
    expect(await page.locator('[data-testid=results] h4').allTextContents()).toEqual([
      'weight 0.4',
      'weight 0.7',
      'weight 1',
    ]);
    await shot('06-generate');
  }, 30_000);

  it('cancels a generation while it renders and shows the weights already done', async () => {
    await page.fill('input[name=steps]', String(HOLD_STEPS)); // the stand-in holds the second weight
    await page.click('button[type=submit]:has-text("Generate")');
    await page.click('button:has-text("Cancel")');
    await page.waitForSelector('[data-testid=job-status]:has-text("cancelled")');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=results] img').length === 2);
    expect(await page.locator('[data-testid=results] h4').allTextContents()).toEqual(['weight 0.4']);
    expect(await page.locator('button:has-text("Cancel")').count()).toBe(0);
  }, 30_000);

  it('reopens the latest generate and train jobs after a reload, with their settings', async () => {
    await page.reload();
    await page.waitForSelector('[data-testid=job-status]:has-text("cancelled")');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=results] img').length === 2);
    await expect(page.inputValue('input[name=steps]')).resolves.toBe(String(HOLD_STEPS));
    expect(await page.isChecked('text=Weight sweep')).toBe(true);
    // a final job shows its status and message, no live figures (it/s, ETA, "waiting for ...")
    expect(await page.locator('[data-testid=job-figures]').count()).toBe(0);
    // an emptied number field is refused in the browser, naming the field, not sent as 0
    const jobs = web.app.queue.listJobs({}).length;
    await page.fill('input[name=steps]', '');
    await page.click('button[type=submit]:has-text("Generate")');
    await expect(page.textContent('[data-testid=form-error]')).resolves.toBe(
      'Steps: enter a whole number from 1 to 500',
    );
    expect(web.app.queue.listJobs({}).length).toBe(jobs);

    await page.click('nav a:has-text("Train")');
    await page.waitForSelector('[data-testid=job-status]:has-text("succeeded")');
    await expect(page.inputValue('input[name=steps]')).resolves.toBe(String(STEPS));
    await expect(page.inputValue('select[name=algorithm]')).resolves.toBe('lokr');
    await expect(page.textContent('[data-testid=chart-steps]')).resolves.toBe(`step ${STEPS}`);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=loss-tick]').length === n, 2);
    await shot('07-reopened');
  }, 30_000);

  it("lists a job event it cannot read under the job's status line, and shows the ones it can", async () => {
    // a server of another version: its progress event has a field of another type
    const sse = (seq: number, body: unknown) =>
      `id: ${seq}\nevent: ${(body as { type: string }).type}\ndata: ${JSON.stringify({ seq, jobId: 'j', at: '', body })}\n\n`;
    await page.route('**/api/jobs/*/stream*', (route) =>
      route.fulfill({
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body:
          sse(1, { type: 'progress', progress: { step: 'three', total: 4 } }) +
          sse(2, { type: 'status', status: 'succeeded' }),
      }),
    );
    try {
      await page.reload();
      await page.waitForSelector('[data-testid=job-unreadable] li');
      await expect(page.locator('[data-testid=job-unreadable] li').allTextContents()).resolves.toEqual([
        expect.stringMatching(
          /^The server sent a "progress" event \(#1\) this page cannot read \(body\.progress\.step: Invalid input: expected number, received string\); it is not shown\. Reload the page/,
        ),
      ]);
      await expect(page.textContent('[data-testid=job-status]')).resolves.toBe('succeeded');
    } finally {
      await page.unroute('**/api/jobs/*/stream*');
    }
  }, 30_000);

  it('links each image to its file, lists earlier generations, and names the base model it will use', async () => {
    await page.goto(`${url}/#/c/${characterId}/generate`);
    await page.waitForSelector('[data-testid=results] img');
    // the latest job's images open at full size and download; the earlier jobs' images are listed
    const result = page.locator('[data-testid=results] figure').first();
    const src = await result.locator('img').getAttribute('src');
    await expect(result.locator('a').first().getAttribute('href')).resolves.toBe(src);
    await expect(result.locator('[data-testid=image-download]').getAttribute('download')).resolves.toMatch(
      /\.png$/,
    );
    await page.waitForSelector('[data-testid=earlier-images]');
    await expect(page.locator('[data-testid=earlier-images] img').count()).resolves.toBeGreaterThanOrEqual(6);
    // without a LoRA the server's default base is used: it is not downloaded here, so the page says so and asks
    const loraId = await page.inputValue('select:has(option:has-text("(none: base model only)"))');
    await page.selectOption('select:has(option:has-text("(none: base model only)"))', '');
    // the sweep (still ticked from the last job) varies a LoRA's weight: off and disabled without one
    expect(await page.isDisabled('text=Weight sweep')).toBe(true);
    expect(await page.isChecked('text=Weight sweep')).toBe(false);
    await expect(page.getAttribute('input[name=baseModel]', 'placeholder')).resolves.toBe(
      'stablediffusionapi/anything-v5',
    );
    await expect(page.textContent('[data-testid=base-source]')).resolves.toBe(
      "Left empty: the server's default base.",
    );
    await expect(page.textContent('[data-testid=base-model-note]')).resolves.toContain(
      'anything-v5 is not downloaded on the server',
    );
    const jobs = web.app.queue.listJobs({ kind: 'generate', characterId }).length;
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });
    await page.fill('input[name=steps]', '2');
    await page.click('button[type=submit]:has-text("Generate")');
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]).toContain('anything-v5 is not downloaded on the server');
    expect(web.app.queue.listJobs({ kind: 'generate', characterId })).toHaveLength(jobs);
    // a base typed in the field is used (here with no LoRA)
    await page.fill('input[name=baseModel]', 'tiny');
    await page.click('button[type=submit]:has-text("Generate")');
    await expect.poll(() => web.app.queue.listJobs({ kind: 'generate', characterId }).length).toBe(jobs + 1);
    const [latest] = web.app.queue.listJobs({ kind: 'generate', characterId });
    expect(latest?.params).toMatchObject({ generation: { baseModel: 'tiny' } });
    expect(latest?.params).not.toHaveProperty('loraId');
    expect(latest?.params).not.toHaveProperty('weights'); // the server refuses weights without a LoRA
    await page.waitForSelector('[data-testid=job-status]:text-matches("succeeded|failed")');
    // with the LoRA again and the field emptied, its training base is named
    await page.fill('input[name=baseModel]', '');
    await page.selectOption('select:has(option:has-text("(none: base model only)"))', loraId);
    await expect(page.getAttribute('input[name=baseModel]', 'placeholder')).resolves.toBe('tiny');
    await expect(page.textContent('[data-testid=base-source]')).resolves.toBe(
      "Left empty: the LoRA's base (the one it was trained on).",
    );
  }, 30_000);
});
