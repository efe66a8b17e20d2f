// End-to-end test of `./toonlora convert` / `inspect` as subprocesses (how the Python suite and the
// trainer call them): exit codes, --json output, refusal to overwrite, a symlinked file in a PEFT output folder.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePeftTensors, writeFixtureFile, writePeftFolder } from '../src/lora/lora-fixtures.js';
import { sd15AttentionModules } from '../src/lora/sd15-modules.js';
import { runToonlora } from './helpers/run-cli.js';

let dir: string;

const toonlora = (args: string[]) => runToonlora(args);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toonlora-cli-'));
  await writePeftFolder(
    join(dir, 'adapter'),
    makePeftTensors({ modules: sd15AttentionModules().slice(0, 8), rank: 4, seed: 3 }),
    { r: 4, lora_alpha: 2 },
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('toonlora convert / inspect subprocess', () => {
  it('converts, inspects as JSON, and refuses to overwrite', async () => {
    const out = join(dir, 'hero.safetensors');
    const first = await toonlora([
      'convert',
      join(dir, 'adapter'),
      '-o',
      out,
      '--precision',
      'fp16',
      '--json',
    ]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ from: 'peft', to: 'kohya', modules: 8 });
    const inspected = await toonlora(['inspect', out, '--json']);
    expect(inspected.code).toBe(0);
    const report = JSON.parse(inspected.stdout);
    expect(report.alphas).toEqual([2]);
    expect(report.dtypes).toEqual({ F16: 16, F32: 8 });
    const again = await toonlora(['convert', join(dir, 'adapter'), '-o', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('TL_ERR_OUTPUT_EXISTS');
    const bad = await toonlora([
      'convert',
      join(dir, 'adapter'),
      '-o',
      join(dir, 'x.safetensors'),
      '--to',
      'ckpt',
    ]);
    expect(bad.code).toBe(2);
  });

  it('refuses unknown tensors unless --drop-unknown with a typed error, and makes a missing -o folder', async () => {
    const tensors = makePeftTensors({ modules: sd15AttentionModules().slice(0, 2), rank: 4, seed: 5 });
    tensors.push({
      name: `base_model.model.${sd15AttentionModules()[0]}.lora_B.bias`,
      dtype: 'F32',
      shape: [320],
      data: new Float32Array(320),
    });
    await writePeftFolder(join(dir, 'biased'), tensors, { r: 4, lora_alpha: 4 });
    const out = join(dir, 'biased.safetensors');
    const refused = await toonlora(['convert', join(dir, 'biased'), '-o', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('TL_ERR_LORA_FORMAT');
    expect(refused.stderr).toContain('lora_B.bias');
    expect(refused.stderr).not.toContain('    at ');
    const dropped = await toonlora(['convert', join(dir, 'biased'), '-o', out, '--drop-unknown']);
    expect(dropped.code).toBe(0);
    expect(dropped.stdout).toContain('warning: --drop-unknown: dropped 1 unknown key(s)');
    // a missing -o folder is made, as train and generate make theirs (it was refused with 'Create it first')
    const missing = await toonlora([
      'convert',
      join(dir, 'adapter'),
      '-o',
      join(dir, 'nope', 'x.safetensors'),
    ]);
    expect(missing.stderr).not.toContain('    at ');
    expect(missing.code).toBe(0);
    expect(existsSync(join(dir, 'nope', 'x.safetensors'))).toBe(true);
  });

  it('convert --to peft --overwrite writes through a symlinked adapter file, and refuses a link it would delete', async () => {
    const out = join(dir, 'linked-peft');
    const store = join(dir, 'store.safetensors');
    const overwritePeft = () =>
      toonlora(['convert', join(dir, 'adapter'), '-o', out, '--to', 'peft', '--overwrite']);
    expect((await toonlora(['convert', join(dir, 'adapter'), '-o', out, '--to', 'peft'])).code).toBe(0);
    await writeFile(store, 'old adapter');
    await rm(join(out, 'adapter_model.safetensors'));
    await symlink(store, join(out, 'adapter_model.safetensors'));
    const through = await overwritePeft();
    expect(through.code).toBe(0);
    expect(await readlink(join(out, 'adapter_model.safetensors'))).toBe(store);
    expect((await readFile(store)).subarray(8, 9).toString()).toBe('{');
    await mkdir(join(out, 'text_encoder'));
    await symlink(store, join(out, 'text_encoder', 'adapter_model.safetensors'));
    const refused = await overwritePeft();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('TL_ERR_OUTPUT_EXISTS');
    expect(refused.stderr).toContain('text_encoder/adapter_model.safetensors: is a symlink');
    expect(refused.stderr).toContain('Remove the link');
    expect(refused.stderr).not.toContain('    at ');
  });

  it('inspect prints modules grouped by rank / alpha / scale, and reports a non-LoRA file as unknown', async () => {
    const text = await toonlora(['inspect', join(dir, 'adapter')]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('format: peft');
    expect(text.stdout).toContain('    rank 4 alpha 2 scale 0.5: 8 modules (down 8)');
    const other = join(dir, 'vae.safetensors');
    await writeFixtureFile(other, [
      { name: 'decoder.conv_in.weight', dtype: 'F32', shape: [2], data: new Float32Array(2) },
    ]);
    const unknown = await toonlora(['inspect', other]);
    expect(unknown.code).toBe(0);
    expect(unknown.stdout).toContain('format: unknown');
    expect(unknown.stdout).toContain('key: decoder.conv_in.weight');
    const json = await toonlora(['inspect', other, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      format: 'unknown',
      unknownKeys: ['decoder.conv_in.weight'],
    });
    const refused = await toonlora(['convert', other, '-o', join(dir, 'vae-out.safetensors')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('no LoRA keys found');
  });
});
