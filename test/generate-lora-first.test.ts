// test/generate-lora-first.test.ts — `generate --lora` checks the user's own LoRA path before the base: a LoRA that
// is not there, a folder without an adapter, or a file that is an image, an HTML page or a Git LFS pointer is named
// even when the base (anything-v5, not pulled here) is missing too. Before, the base's "models pull" error came
// first and hid the typo in --lora.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyModelHomes } from './helpers/empty-model-homes.js';
import { runToonlora } from './helpers/run-cli.js';

// empty model homes: anything-v5 is not pulled
const { root, env } = emptyModelHomes('tl-lora-first-');

const generate = (lora: string) =>
  runToonlora(['generate', '--lora', lora, '--prompt', 'sks', '-o', join(root, 'out')], {
    env,
    cwd: root,
    timeout: 120_000,
  });

describe('generate names a bad --lora before a base that is not pulled', () => {
  it('a LoRA file that is not there', async () => {
    const run = await generate('missing.safetensors');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'toonlora generate: missing.safetensors: LoRA file not found. Check --lora. [TL_ERR_INPUT_NOT_FOUND]\n',
    );
  }, 120_000);

  it('a folder with no adapter_model.safetensors', async () => {
    mkdirSync(join(root, 'run-folder'));
    const run = await generate('run-folder');
    expect(run.code).toBe(2); // a usage error
    expect(run.stderr).toContain(
      'run-folder: is a folder with no adapter_model.safetensors, so not a PEFT adapter.',
    );
    expect(run.stderr).toContain('[TL_ERR_USAGE]');
  }, 120_000);

  it('an HTML page, a PNG and a Git LFS pointer saved as the LoRA', async () => {
    writeFileSync(join(root, 'page.safetensors'), '<!doctype html><html><body>Log in</body></html>');
    writeFileSync(
      join(root, 'image.safetensors'),
      Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]),
    );
    writeFileSync(
      join(root, 'lfs.safetensors'),
      'version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 151111111\n',
    );
    const [page, image, lfs] = await Promise.all(
      ['page', 'image', 'lfs'].map((name) => generate(`${name}.safetensors`)),
    );
    for (const run of [page, image, lfs]) {
      expect(run?.code).toBe(1);
      expect(run?.stderr).toContain('[TL_ERR_SAFETENSORS]');
      expect(run?.stderr).not.toContain('models pull');
    }
    expect(page?.stderr).toContain('page.safetensors: this is an HTML page');
    expect(image?.stderr).toContain('image.safetensors: this is a PNG image, not a LoRA');
    expect(lfs?.stderr).toContain('lfs.safetensors: this is a Git LFS pointer');
  }, 180_000);
});
