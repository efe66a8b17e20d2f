// Tests for diffusers-copy.ts: a kohya file with mixed alphas is replaced by a diffusers-format copy
// that keeps every module's alpha (made once, reused while the input is unchanged); a single-alpha
// kohya file and a broken file are handled as they are.
import { mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { loraFileForDiffusers } from './diffusers-copy.js';
import { makePeftTensors, writePeftFolder } from './lora-fixtures.js';
import { openLora } from './open-lora.js';
import { sd15AttentionModules } from './sd15-modules.js';

const modules = sd15AttentionModules().slice(0, 3);

async function kohyaFile(dir: string, name: string, alphaPattern: Record<string, number>): Promise<string> {
  const peft = join(dir, `${name}-peft`);
  await writePeftFolder(peft, makePeftTensors({ modules, rank: 4, seed: 3 }), {
    r: 4,
    lora_alpha: 4,
    alpha_pattern: alphaPattern,
    target_modules: ['to_q', 'to_k', 'to_v', 'to_out.0'],
  });
  const out = join(dir, `${name}.safetensors`);
  await convertLora({ input: peft, output: out, to: 'kohya' });
  return out;
}

async function alphasByModule(path: string): Promise<Record<string, number>> {
  const { model, reader } = await openLora(path);
  await reader.close();
  return Object.fromEntries(model.modules.map((m) => [m.path, m.alpha]));
}

describe('loraFileForDiffusers', () => {
  it('converts a mixed-alpha kohya file once, keeping every alpha, and reuses the copy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
    const cache = join(dir, 'cache');
    const input = await kohyaFile(dir, 'mixed', { [modules[1] as string]: 1 });
    const first = await loraFileForDiffusers(input, cache);
    expect(first.path.startsWith(cache)).toBe(true);
    expect(first.note).toMatch(/mixed\.safetensors has 2 different alphas/);
    const copy = await openLora(first.path);
    await copy.reader.close();
    expect(copy.model.format).not.toBe('kohya');
    expect(await alphasByModule(first.path)).toEqual(await alphasByModule(input));
    expect(Object.values(await alphasByModule(first.path)).sort()).toEqual([1, 4, 4]);

    const again = await loraFileForDiffusers(input, cache);
    expect(again.path).toBe(first.path);
    expect(await readdir(cache)).toHaveLength(1);

    // a changed input (new mtime) gets a new copy
    await utimes(input, new Date(), new Date(Date.now() + 5000));
    const changed = await loraFileForDiffusers(input, cache);
    expect(changed.path).not.toBe(first.path);
    expect(await readdir(cache)).toHaveLength(2);
  });

  it('uses a kohya file with one alpha as it is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
    const input = await kohyaFile(dir, 'even', {});
    expect(await loraFileForDiffusers(input, join(dir, 'cache'))).toEqual({ path: input });
  });

  it('refuses a file that is not a LoRA, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
    const png = join(dir, 'picture.safetensors');
    await writeFile(png, Buffer.from('\x89PNG\r\n\x1a\n0000000000000000'));
    await expect(loraFileForDiffusers(png, join(dir, 'cache'))).rejects.toMatchObject({
      code: 'TL_ERR_SAFETENSORS',
      message: expect.stringContaining('picture.safetensors'),
    });
  });
});
