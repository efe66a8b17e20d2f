// test/run-base-not-pulled.test.ts — a real `train` and a `generate` with a registry base not downloaded
// (anything-v5) refuse before any worker starts, naming `toonlora models pull anything-v5`; before, the run
// started the Python worker, which then failed to load the base. A dry run still only warns
// (train-dry-run-base.test.ts). `generate` checks a --base path as train does; a Hub snapshot with placeholder
// files (the fake Hub's) gets the worker's message naming the base, the component and its files, as it is.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSd15Snapshot } from '../src/models/sd15-testing.js';

const root = mkdtempSync(join(tmpdir(), 'tl-base-not-pulled-'));
const launcher = new URL('../toonlora', import.meta.url).pathname;
afterAll(() => rmSync(root, { recursive: true, force: true }));

// empty model homes: the worker's own refusal (after it started) names the Hub repo, with other words
const env: NodeJS.ProcessEnv = {
  ...process.env,
  TOONLORA_HOME: join(root, 'tl-home'),
  HF_HOME: join(root, 'hf-home'),
};
delete env.HF_HUB_CACHE;

const REFUSAL =
  'anything-v5: base model not found on this machine (not downloaded yet). Run `toonlora models pull anything-v5` first, or give --base another base (a local folder, a .safetensors file, a pulled HF id, or tiny). [TL_ERR_MODEL_MISSING]\n';

async function toonlora(
  args: string[],
  withEnv: NodeJS.ProcessEnv = env,
): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await promisify(execFile)(launcher, args, { env: withEnv });
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

describe('a registry base not downloaded', () => {
  it('train refuses it before the worker, naming the pull, exit 1', async () => {
    const dataset = join(root, 'dataset', '2_sks girl');
    mkdirSync(dataset, { recursive: true });
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#c84' } })
      .png()
      .toFile(join(dataset, 'a.png'));
    const run = join(root, 'run');
    const refused = await toonlora(['train', join(root, 'dataset'), '--base', 'anything-v5', '-o', run]);
    expect(refused).toEqual({ code: 1, stderr: `toonlora train: ${REFUSAL}` });
    expect(existsSync(run)).toBe(false);
  }, 120_000);

  it('generate refuses it before the worker, naming the pull, exit 1', async () => {
    const out = join(root, 'out');
    const refused = await toonlora(['generate', '--base', 'anything-v5', '--prompt', 'sks', '-o', out]);
    expect(refused).toEqual({ code: 1, stderr: `toonlora generate: ${REFUSAL}` });
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('generate names a --base folder that is not there before the worker, as train does', async () => {
    const missing = join(root, 'nonexist');
    const refused = await toonlora([
      'generate',
      '--base',
      missing,
      '--prompt',
      'sks',
      '-o',
      join(root, 'o2'),
    ]);
    expect(refused).toEqual({
      code: 1,
      stderr: `toonlora generate: ${missing}: base model not found on this machine. No such folder. Check the --base path (a diffusers folder, a .safetensors file, a HF id or tiny). [TL_ERR_MODEL_MISSING]\n`,
    });
  }, 120_000);
});

describe("a Hub base whose files are placeholders (the fake Hub's)", () => {
  it('the worker names the base, its folder, the component, its files and the pull; the CLI shows it as is', async () => {
    const repo = join(root, 'hf-fake', 'hub', 'models--someone--toon-sd15');
    const snapshot = writeSd15Snapshot(join(repo, 'snapshots', 'c'.repeat(40)));
    mkdirSync(join(repo, 'refs'), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), 'c'.repeat(40));
    const hubEnv = { ...env, HF_HOME: join(root, 'hf-fake') };
    const args = ['generate', '--base', 'someone/toon-sd15', '--prompt', 'sks', '-o', join(root, 'o3')];
    const refused = await toonlora(args, hubEnv);
    expect(refused.code).toBe(1);
    const files = ['merges.txt', 'vocab.json'].map((name) => join(snapshot, 'tokenizer', name));
    expect(refused.stderr).toMatch(
      new RegExp(
        `^toonlora generate: someone/toon-sd15 \\(${snapshot}\\): cannot load its tokenizer from tokenizer/merges\\.txt, tokenizer/vocab\\.json \\(.+\\): a file there is damaged or truncated`,
        'm',
      ),
    );
    expect(refused.stderr).toContain(
      `Delete ${files.join(', ')} and run \`toonlora models pull someone/toon-sd15\` again. [TL_ERR_MODEL_MISSING]\n`,
    );
  }, 240_000); // the Python worker starts
});
