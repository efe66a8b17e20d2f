// Tests for diffusers-copy.ts on kohya files' alphas: a file with mixed alphas gets a diffusers-format copy that
// keeps every module's alpha, made once and reused while the input is unchanged (a changed or deleted input's copy
// is replaced, an older toonlora's cache name not reused); a single-alpha file is used as it is.
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loraFileForDiffusers } from './diffusers-copy.js';
import { alphasByModule, copyTestDir, kohyaFile, modules } from './diffusers-copy-testing.js';
import { openLora } from './open-lora.js';

describe('loraFileForDiffusers', () => {
  it('converts a mixed-alpha kohya file once, keeping every alpha, and reuses the copy', async () => {
    const dir = await copyTestDir();
    const cache = join(dir, 'cache');
    const input = await kohyaFile(dir, 'mixed', { [modules[1] as string]: 1 });
    const first = await loraFileForDiffusers(input, cache);
    expect(first.path.startsWith(cache)).toBe(true);
    expect(first.note).toMatch(
      /mixed\.safetensors has 1 module\(s\) whose alpha diffusers would not apply \(e\.g\. lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_k: alpha 1, diffusers would use 4/,
    );
    const copy = await openLora(first.path);
    await copy.reader.close();
    expect(copy.model.format).not.toBe('kohya');
    expect(await alphasByModule(first.path)).toEqual(await alphasByModule(input));
    expect(Object.values(await alphasByModule(first.path)).sort()).toEqual([1, 4, 4]);

    // The copy names the user's file, for the worker's error if diffusers refuses the copy (generate.py).
    expect(copy.reader.header.metadata['toonlora.copy_of']).toBe(input);

    const again = await loraFileForDiffusers(input, cache);
    expect(again.path).toBe(first.path);
    expect(await readdir(cache)).toHaveLength(1);

    // a changed input (new mtime) gets a new copy, which replaces the stale one
    await utimes(input, new Date(), new Date(Date.now() + 5000));
    const changed = await loraFileForDiffusers(input, cache);
    expect(changed.path).not.toBe(first.path);
    expect(await readdir(cache)).toEqual([basename(changed.path)]);

    // a copy whose original is gone (a deleted run) goes when the next copy is made; other files stay
    const other = await kohyaFile(dir, 'other', { [modules[1] as string]: 1 });
    await writeFile(join(cache, 'notes.txt'), 'mine');
    await rm(input);
    const otherCopy = await loraFileForDiffusers(other, cache);
    expect((await readdir(cache)).sort()).toEqual([basename(otherCopy.path), 'notes.txt'].sort());
  });

  it('does not reuse a copy an older toonlora made under the old cache name', async () => {
    // Copies made before COPY_VERSION 2 hold text-encoder targets transformers 5 does not match.
    const dir = await copyTestDir();
    const cache = join(dir, 'cache');
    const input = await kohyaFile(dir, 'old', { [modules[1] as string]: 1 });
    const info = await stat(input);
    const oldKey = createHash('sha256')
      .update(`${input}\0${info.size}\0${info.mtimeMs}\0none`)
      .digest('hex')
      .slice(0, 16);
    await mkdir(cache);
    await writeFile(join(cache, `old.${oldKey}.diffusers.safetensors`), 'stale');
    const choice = await loraFileForDiffusers(input, cache);
    expect(choice.path).not.toBe(join(cache, `old.${oldKey}.diffusers.safetensors`));
    expect(await readdir(cache)).toHaveLength(2);
  });

  it('uses a kohya file with one alpha as it is', async () => {
    const dir = await copyTestDir();
    const input = await kohyaFile(dir, 'even', {});
    expect(await loraFileForDiffusers(input, join(dir, 'cache'))).toEqual({ path: input });
  });
});
