// test/generate-output-first.test.ts — `generate -o` is checked with the other cheap local checks (after --lora,
// before the base), as train checks its -o: an -o that is a file is named even when the base (anything-v5, not pulled
// here) is missing. Before, the base's "base model not found" came first, and with --base tiny the same -o said
// "this is a file, not a folder": two answers for one mistake.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyModelHomes } from './helpers/empty-model-homes.js';
import { runToonlora } from './helpers/run-cli.js';

// empty model homes: anything-v5 is not pulled
const { root, env } = emptyModelHomes('tl-output-first-');

describe('generate names an -o that is a file before a base that is not pulled', () => {
  it('says the -o is a file, after a bad --lora and before the base', async () => {
    writeFileSync(join(root, 'afile'), 'not a folder');
    const generate = (...extra: string[]) =>
      runToonlora(['generate', '--prompt', 'x', '-o', 'afile', ...extra], {
        env,
        cwd: root,
        timeout: 120_000,
      });
    const [bare, withLora] = await Promise.all([generate(), generate('--lora', 'missing.safetensors')]);
    expect(bare.code).toBe(2); // a usage error
    expect(bare.stderr).toBe(
      'toonlora generate: afile: this is a file, not a folder. Choose a folder you can write to for -o. [TL_ERR_USAGE]\n',
    );
    expect(withLora.stderr).toContain('missing.safetensors: LoRA file not found. Check --lora.');
  }, 180_000);
});
