// test/convert-usage-errors.test.ts — a bad --to / --precision is named once, by its flag, with the value given.
// Before: "toonlora convert: convert: to: Invalid option: expected one of …" (the prefix twice, the option's schema
// name instead of its flag, and not the value that arrived).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from '../src/lora/convert.js';
import { emptyModelHomes } from './helpers/empty-model-homes.js';
import { runToonlora } from './helpers/run-cli.js';

const { root, env } = emptyModelHomes('tl-convert-usage-');

describe('convert usage errors', () => {
  it('--to foo and --precision fp8: one prefix, the flag, the expected values and the value given (exit 2)', async () => {
    writeFileSync(join(root, 'in.safetensors'), 'not read: the options are checked first');
    const convert = (...extra: string[]) =>
      runToonlora(['convert', 'in.safetensors', '-o', 'out.safetensors', ...extra], {
        env,
        cwd: root,
        timeout: 120_000,
      });
    const [to, precision] = await Promise.all([convert('--to', 'foo'), convert('--precision', 'fp8')]);
    expect(to.code).toBe(2);
    expect(to.stderr).toBe(
      'toonlora convert: --to: expected one of "kohya"|"diffusers"|"peft", got "foo". [TL_ERR_USAGE]\n',
    );
    expect(precision.code).toBe(2);
    expect(precision.stderr).toBe(
      'toonlora convert: --precision: expected one of "fp32"|"fp16"|"bf16", got "fp8". [TL_ERR_USAGE]\n',
    );
  }, 180_000);

  it('the library error (server, scripts) names the option the same way', async () => {
    await expect(convertLora({ input: 'x', output: 'y', to: 'onnx' as 'kohya' })).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message: '--to: expected one of "kohya"|"diffusers"|"peft", got "onnx".',
      details: { field: 'to' },
    });
  });
});
