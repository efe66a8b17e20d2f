// src/lora/output-errors.test.ts — convert's output errors name the user's -o in train's words: an -o under a file
// is "a file, not a folder" (not "does not exist ... Create it first"), and a PEFT folder's write error names -o, not
// the hidden temp folder the files are staged in.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { convertLora } from './convert.js';
import { makePeftTensors, writeFixtureFile } from './lora-fixtures.js';
import { asOutputWriteError, tempPathBeside } from './output-checks.js';

let dir: string;
let input: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toonlora-output-errors-'));
  input = join(dir, 'in.safetensors');
  const modules = ['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q'];
  await writeFixtureFile(input, makePeftTensors({ modules, rank: 4, seed: 3, prefix: 'unet.' }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.useRealTimers();
});

async function caseDir(): Promise<string> {
  return mkdtemp(join(dir, 'case-'));
}

describe('an -o under a file', () => {
  it('says the file is not a folder, for a file and a PEFT output, one or more levels under it', async () => {
    const d = await caseDir();
    const file = join(d, 'afile');
    await writeFile(file, 'not a folder');
    for (const [to, output, why] of [
      ['kohya', join(file, 'x.safetensors'), 'is a file, not a folder'],
      ['peft', join(file, 'x'), 'is a file, not a folder'],
      ['kohya', join(file, 'sub', 'x.safetensors'), 'is a file, so no folder can be made in it'],
    ] as const) {
      await expect(convertLora({ input, output, to })).rejects.toMatchObject({
        code: 'TL_ERR_USAGE',
        message: `-o ${output}: ${file} ${why}; nothing was written. Choose another -o.`,
      });
    }
  });

  it('still says a missing folder does not exist', async () => {
    const output = join(await caseDir(), 'missing', 'x.safetensors');
    await expect(convertLora({ input, output, to: 'kohya' })).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message: expect.stringContaining('does not exist; nothing was written. Create it first'),
    });
  });
});

describe('a PEFT folder that cannot be written', () => {
  it('names -o, not the hidden temp folder its files were written in, and leaves nothing', async () => {
    const d = await caseDir();
    const output = join(d, 'out');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-07T02:00:00Z'));
    // the temp file the adapter is written to is taken: its open fails, as a write on a full disk does
    const temp = tempPathBeside(output);
    await mkdir(temp);
    await writeFile(tempPathBeside(join(temp, 'adapter_model.safetensors')), 'in the way');
    const error = (await convertLora({ input, output, to: 'peft' }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({
      code: 'TL_ERR_OUTPUT_WRITE',
      message: `-o ${output}: cannot be written (EEXIST: file already exists); nothing was written or replaced.`,
      details: { file: output, errno: 'EEXIST' },
    });
    expect(await readdir(d)).toEqual([]);
  });
});

describe('asOutputWriteError', () => {
  it('says a full disk or quota in words, naming -o', () => {
    for (const code of ['ENOSPC', 'EDQUOT']) {
      const error = Object.assign(new Error(`${code}: no space left on device, write`), {
        code,
        syscall: 'write',
      });
      expect(asOutputWriteError(error, '/o/x')).toMatchObject({
        code: 'TL_ERR_OUTPUT_WRITE',
        message: `-o /o/x: cannot be written: ${code === 'ENOSPC' ? 'no space left on the disk' : 'disk quota exceeded'} (${code}); nothing was written or replaced.`,
      });
    }
  });

  it("names a full disk libvips reports as text only, or a wrapper's cause, that no write call names", () => {
    const vips = new Error('write error\nsystem error: No space left on device\nwbuffer_write: write failed');
    const wrapped = new Error('copy failed', { cause: Object.assign(new Error('x'), { code: 'EDQUOT' }) });
    expect(asOutputWriteError(vips, '/o/x')).toMatchObject({
      code: 'TL_ERR_OUTPUT_WRITE',
      message:
        '-o /o/x: cannot be written: no space left on the disk (ENOSPC); nothing was written or replaced.',
      details: { file: '/o/x', errno: 'ENOSPC' },
    });
    expect(asOutputWriteError(wrapped, '/o/x')).toMatchObject({ details: { errno: 'EDQUOT' } });
    const bug = new TypeError('x is undefined');
    expect(asOutputWriteError(bug, '/o/x')).toBe(bug);
  });
});
