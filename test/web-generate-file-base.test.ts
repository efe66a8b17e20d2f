// test/web-generate-file-base.test.ts — the Generate page in chromium with a LoRA uploaded from elsewhere whose
// metadata (ss_sd_model_name) names `tiny`, a base the server has: the form's base defaults to it and says why
// (it defaulted to the server's default, anything-v5, not downloaded).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLora } from '../src/lora/convert.js';
import { makePeftTensors, writePeftFolder } from '../src/lora/lora-fixtures.js';
import { tempDataDir } from './helpers/server-fixtures.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let page: Page;

beforeAll(async () => {
  web = await startWebSession('web-generate-file-base');
  ({ page } = web);
}, 180_000);

afterAll(() => web?.close());

describe('Generate with an uploaded LoRA', () => {
  it("defaults the base to the one the file's metadata names when the server has it, and says so", async () => {
    const yui = web.app.catalog.createCharacter({ name: 'Yui', trigger: 'yui_tl', classWord: 'girl' });
    const work = tempDataDir('web-generate-file-base');
    const modules = ['down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q'];
    await writePeftFolder(join(work, 'peft'), makePeftTensors({ modules, rank: 4, seed: 5 }), {
      r: 4,
      lora_alpha: 4,
      target_modules: ['to_q'],
    });
    await convertLora({
      input: join(work, 'peft'),
      output: join(work, 'yui.safetensors'),
      to: 'kohya',
      trainingFacts: { baseModel: 'tiny' },
    });
    await page.goto(`${web.url}/#/c/${yui.id}/lora`);
    await page.setInputFiles('[data-testid=lora-upload-input]', [
      {
        name: 'yui.safetensors',
        mimeType: 'application/octet-stream',
        buffer: readFileSync(join(work, 'yui.safetensors')),
      },
    ]);
    await page.waitForSelector('[data-testid=snippet]');

    await page.goto(`${web.url}/#/c/${yui.id}/generate`);
    const note = page.locator('[data-testid=lora-file-base]');
    await note.waitFor();
    await expect(note.textContent()).resolves.toBe(
      "Base tiny: the one this LoRA file's metadata says it was trained on (on the server).",
    );
    await expect(page.getAttribute('input[name=baseModel]', 'placeholder')).resolves.toBe('tiny');
  }, 90_000);
});
