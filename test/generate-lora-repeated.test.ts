// test/generate-lora-repeated.test.ts — a second `generate --lora` is refused naming both, before anything runs.
// Before, the second silently replaced the first: exit 0, and the PNG's parameters named only the last LoRA.
import { describe, expect, it } from 'vitest';
import { singleLoraFlag } from '../src/cli/commands/generate.js';
import { emptyModelHomes } from './helpers/empty-model-homes.js';
import { runToonlora } from './helpers/run-cli.js';

const { root, env } = emptyModelHomes('tl-lora-repeated-');

describe('generate --lora given twice', () => {
  it('is a usage error (exit 2) naming both values, before the LoRA files or the base are looked at', async () => {
    const args = ['generate', '--prompt', 'x', '-o', 'out', '--lora', 'a.safetensors', '--lora', 'run b'];
    const run = await runToonlora(args, { env, cwd: root, timeout: 120_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'toonlora generate: --lora is given 2 times ("a.safetensors", "run b"): generate applies one LoRA. ' +
        'Give one --lora; to compare LoRAs, run generate once per LoRA. [TL_ERR_USAGE]\n',
    );
  }, 180_000);

  it('passes one --lora through, and none as none', () => {
    expect(singleLoraFlag(['a.safetensors'])).toBe('a.safetensors');
    expect(singleLoraFlag(undefined)).toBeUndefined();
    expect(() => singleLoraFlag(['a', 'b', 'c'])).toThrow('--lora is given 3 times ("a", "b", "c")');
  });
});
