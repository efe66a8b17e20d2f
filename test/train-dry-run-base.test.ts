// test/train-dry-run-base.test.ts — `train --dry-run` checks the base as the real run does, before anything
// runs: a missing path or a LoRA given as --base fails with the run's message and exit code, not exit 0 with a
// config and a memory estimate (the real run then failed in the worker); a registry base not pulled yet passes
// with a warning naming its pull.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '../src/lora/safetensors-write.js';

const root = mkdtempSync(join(tmpdir(), 'tl-dry-base-'));
const dataset = join(root, 'dataset');
const launcher = new URL('../toonlora', import.meta.url).pathname;

beforeAll(async () => {
  mkdirSync(join(dataset, '2_sks girl'), { recursive: true });
  await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c84' } })
    .png()
    .toFile(join(dataset, '2_sks girl', 'a.png'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The exit code and stderr of `toonlora train <dataset> <args>`. */
async function train(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await promisify(execFile)(launcher, ['train', dataset, ...args], { env });
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

describe('train --dry-run with a base the run cannot load', () => {
  it('a path that does not exist: the run’s message, exit 1', async () => {
    const missing = join(root, 'nonexist');
    const dry = await train(['--base', missing, '--dry-run']);
    expect(dry).toEqual({
      code: 1,
      stderr: `toonlora train: ${missing}: base model not found on this machine. No such folder. Check the --base path (a diffusers folder, a .safetensors file, a HF id or tiny). [TL_ERR_MODEL_MISSING]\n`,
    });
    // the real run says the same, before any worker starts
    expect(await train(['--base', missing, '-o', join(root, 'run'), '--steps', '2'])).toEqual(dry);
  }, 120_000);

  it('a LoRA file given as the base', async () => {
    const lora = join(root, 'some-lora.safetensors');
    await writeSafetensors(
      lora,
      [
        {
          name: 'lora_unet_mid_block_attentions_0_proj_in.lora_down.weight',
          dtype: 'F32',
          shape: [2],
          chunks: () => [new Uint8Array(8)],
        },
      ],
      {},
    );
    const dry = await train(['--base', lora, '--dry-run']);
    expect(dry.code).toBe(1);
    expect(dry.stderr).toContain(
      `${lora}: this is a LoRA (tensor "lora_unet_mid_block_attentions_0_proj_in.lora_down.weight"), not a base model checkpoint.`,
    );
    expect(dry.stderr).toContain('[TL_ERR_INPUT_INVALID]');
  }, 120_000);

  it('a registry base not pulled yet: the dry run goes on, warning with the pull to run', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TOONLORA_HOME: join(root, 'tl-home'),
      HF_HOME: join(root, 'hf-home'),
    };
    delete env.HF_HUB_CACHE;
    const dry = await train(['--base', 'anything-v5', '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain(
      'toonlora train: warning: the base model anything-v5 is not downloaded yet: this dry run needs no weights, but a real run refuses to start without it. Run `toonlora models pull anything-v5` first.',
    );
  }, 240_000); // the whole dry run (the Python plan and memory estimate) runs
});
