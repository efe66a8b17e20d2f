// Tests for where convert's writers put their output: a symlink is written through (its target
// replaced atomically, the link kept) for file and PEFT-folder output and for an adapter file in a
// replaced PEFT folder; a FIFO or socket (or a link to
// one) is refused as usage, untouched; an `-o` ending in `/` is a usage error for file formats and
// just works for PEFT; a long file name still gets a temp name that fits, and a file-system error is
// TL_ERR_OUTPUT_WRITE. Only FIFOs / sockets / links made in a temp folder, never a real device.
import { execFileSync } from 'node:child_process';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { makePeftTensors, writeFixtureFile } from './lora-fixtures.js';
import { openSafetensors } from './safetensors-read.js';
import { writeSafetensors } from './safetensors-write.js';

let dir: string;
let input: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toonlora-output-target-'));
  input = join(dir, 'in.safetensors');
  const modules = ['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q'];
  await writeFixtureFile(input, makePeftTensors({ modules, rank: 4, seed: 3, prefix: 'unet.' }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let count = 0;
/** A fresh folder per case. */
async function caseDir(): Promise<string> {
  const d = join(dir, `case-${count++}`);
  await mkdir(d);
  return d;
}

async function tensorCount(path: string): Promise<number> {
  const reader = await openSafetensors(path);
  await reader.close();
  return reader.header.tensors.length;
}

/** A fresh case folder holding a PEFT adapter folder `adapter` and, beside it, a user's file `mine.safetensors`. */
async function adapterBesideMine(): Promise<{ d: string; out: string; mine: string }> {
  const d = await caseDir();
  const out = join(d, 'adapter');
  await convertLora({ input, output: out, to: 'peft' });
  const mine = join(d, 'mine.safetensors');
  await writeFile(mine, 'mine');
  return { d, out, mine };
}

function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

describe('--overwrite keeps the permission bits of the file it replaces', () => {
  it('a 0600 file, and a 0600 file behind a link, stay 0600', async () => {
    const d = await caseDir();
    const file = join(d, 'private.safetensors');
    await writeFile(file, 'old contents');
    await chmod(file, 0o600);
    await convertLora({ input, output: file, to: 'kohya', overwrite: true });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await tensorCount(file)).toBeGreaterThan(0);
    const real = join(d, 'real.safetensors');
    await writeFile(real, 'old contents');
    await chmod(real, 0o600);
    const link = join(d, 'link.safetensors');
    await symlink('real.safetensors', link);
    await convertLora({ input, output: link, to: 'kohya', overwrite: true });
    expect((await stat(real)).mode & 0o777).toBe(0o600);
  });
});

describe('a symlink as -o is written through, the link kept', () => {
  it('kohya / diffusers: the target file is replaced, no temp file left beside link or target', async () => {
    for (const to of ['kohya', 'diffusers'] as const) {
      const d = await caseDir();
      const real = join(d, 'store', 'real.safetensors');
      await mkdir(join(d, 'store'));
      await writeFile(real, 'old contents');
      const link = join(d, 'link.safetensors');
      await symlink(join('store', 'real.safetensors'), link);
      await expect(convertLora({ input, output: link, to })).rejects.toMatchObject({
        code: 'TL_ERR_OUTPUT_EXISTS',
      });
      await convertLora({ input, output: link, to, overwrite: true });
      expect((await lstat(link)).isSymbolicLink()).toBe(true);
      expect(await readlink(link)).toBe(join('store', 'real.safetensors'));
      expect(await tensorCount(real)).toBeGreaterThan(0);
      expect(await readdir(d)).toEqual(['link.safetensors', 'store']);
      expect(await readdir(join(d, 'store'))).toEqual(['real.safetensors']);
    }
  });

  it('a chain of links, and a link to a file not there yet, write the final target', async () => {
    const d = await caseDir();
    const real = join(d, 'real.safetensors');
    await symlink(real, join(d, 'a.safetensors'));
    await symlink(join(d, 'a.safetensors'), join(d, 'b.safetensors'));
    await convertLora({ input, output: join(d, 'b.safetensors'), to: 'kohya' });
    expect((await lstat(join(d, 'a.safetensors'))).isSymbolicLink()).toBe(true);
    expect((await lstat(join(d, 'b.safetensors'))).isSymbolicLink()).toBe(true);
    expect(await tensorCount(real)).toBeGreaterThan(0);
  });

  it('peft: a link to an adapter folder keeps the link and replaces the folder it names', async () => {
    const d = await caseDir();
    const real = join(d, 'real-adapter');
    await convertLora({ input, output: real, to: 'peft' });
    const link = join(d, 'adapter-link');
    await symlink(real, link);
    await convertLora({ input, output: link, to: 'peft', overwrite: true });
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect((await readdir(real)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect((await readdir(d)).sort()).toEqual(['adapter-link', 'real-adapter']);
  });

  it('peft --overwrite writes through a symlinked adapter file: the file it names is replaced (mode kept), the link stays', async () => {
    const { d, out, mine } = await adapterBesideMine();
    await chmod(mine, 0o600);
    await rm(join(out, 'adapter_model.safetensors'));
    await symlink(join('..', 'mine.safetensors'), join(out, 'adapter_model.safetensors'));
    await convertLora({ input, output: out, to: 'peft', overwrite: true });
    expect(await readlink(join(out, 'adapter_model.safetensors'))).toBe(join('..', 'mine.safetensors'));
    expect(await tensorCount(mine)).toBe(2);
    expect((await stat(mine)).mode & 0o777).toBe(0o600);
    expect((await readdir(out)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect((await readdir(d)).sort()).toEqual(['adapter', 'mine.safetensors']);
  });

  it('peft --overwrite refuses a symlink it would delete or cannot write through, naming it, and changes nothing', async () => {
    const { d, out, mine } = await adapterBesideMine();
    await mkdir(join(out, 'text_encoder'));
    const teLink = join(out, 'text_encoder', 'adapter_model.safetensors');
    await symlink(mine, teLink);
    await expect(convertLora({ input, output: out, to: 'peft', overwrite: true })).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
      message: expect.stringMatching(
        /text_encoder\/adapter_model\.safetensors: is a symlink \(to .*mine\.safetensors\), and this conversion writes no text_encoder\/adapter_model\.safetensors .*Remove the link/,
      ),
    });
    expect(await readlink(teLink)).toBe(mine);
    await rm(join(out, 'text_encoder'), { recursive: true });
    const config = join(out, 'adapter_config.json');
    await rm(config);
    await symlink(d, config);
    await expect(convertLora({ input, output: out, to: 'peft', overwrite: true })).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
      message: expect.stringContaining('adapter_config.json: is a symlink (to '),
    });
    expect(await readlink(config)).toBe(d);
    expect((await readdir(d)).sort()).toEqual(['adapter', 'mine.safetensors']);
  });

  it('peft --overwrite of a folder whose adapter file is a FIFO refuses, naming it, and deletes nothing', async () => {
    const d = await caseDir();
    const out = join(d, 'adapter');
    await convertLora({ input, output: out, to: 'peft' });
    await rm(join(out, 'adapter_model.safetensors'));
    mkfifo(join(out, 'adapter_model.safetensors'));
    await expect(convertLora({ input, output: out, to: 'peft', overwrite: true })).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
      message: expect.stringContaining('adapter_model.safetensors (not a regular file)'),
    });
    expect((await lstat(join(out, 'adapter_model.safetensors'))).isFIFO()).toBe(true);
  });

  it('writeSafetensors itself writes through a link', async () => {
    const d = await caseDir();
    const real = join(d, 'real.safetensors');
    await writeFile(real, 'old');
    await symlink(real, join(d, 'link.safetensors'));
    const bytes = new Uint8Array(8);
    await writeSafetensors(
      join(d, 'link.safetensors'),
      [{ name: 'x', dtype: 'F32', shape: [2], chunks: () => [bytes] }],
      {},
      { overwrite: true },
    );
    expect((await lstat(join(d, 'link.safetensors'))).isSymbolicLink()).toBe(true);
    expect(await tensorCount(real)).toBe(1);
  });
});

describe('a FIFO, socket or a link to one as -o is refused as usage, untouched', () => {
  it('every output format, with and without --overwrite', async () => {
    const d = await caseDir();
    const fifo = join(d, 'fifo');
    mkfifo(fifo);
    const linkToFifo = join(d, 'link-to-fifo');
    await symlink(fifo, linkToFifo);
    for (const output of [fifo, linkToFifo]) {
      for (const to of ['kohya', 'diffusers', 'peft'] as const) {
        for (const overwrite of [false, true]) {
          await expect(convertLora({ input, output, to, overwrite })).rejects.toMatchObject({
            code: 'TL_ERR_USAGE',
            message: expect.stringMatching(new RegExp(`^-o ${output}.*is a FIFO \\(named pipe\\)`)),
          });
        }
      }
    }
    expect((await lstat(fifo)).isFIFO()).toBe(true);
    expect((await lstat(linkToFifo)).isSymbolicLink()).toBe(true);
    expect((await readdir(d)).sort()).toEqual(['fifo', 'link-to-fifo']);
  });

  it('a socket, and writeSafetensors called directly on a FIFO', async () => {
    const d = await caseDir();
    const socketPath = join(d, 'sock');
    const server = createServer();
    await new Promise<void>((done) => server.listen(socketPath, done));
    try {
      await expect(
        convertLora({ input, output: socketPath, to: 'kohya', overwrite: true }),
      ).rejects.toMatchObject({ code: 'TL_ERR_USAGE', message: expect.stringContaining('is a socket') });
      expect((await lstat(socketPath)).isSocket()).toBe(true);
    } finally {
      await new Promise<void>((done) => server.close(() => done()));
    }
    const fifo = join(d, 'fifo');
    mkfifo(fifo);
    const write = writeSafetensors(fifo, [], {}, { overwrite: true });
    await expect(write).rejects.toMatchObject({ code: 'TL_ERR_USAGE' });
    expect((await lstat(fifo)).isFIFO()).toBe(true);
  });
});

describe('-o ending in "/"', () => {
  it('is TL_ERR_USAGE for file formats (new folder or existing file), writing nothing', async () => {
    const d = await caseDir();
    const existing = join(d, 'k2.safetensors');
    await writeFile(existing, 'mine');
    for (const to of ['kohya', 'diffusers'] as const) {
      for (const output of [`${join(d, 'newdir')}/`, `${existing}/`]) {
        for (const overwrite of [false, true]) {
          await expect(convertLora({ input, output, to, overwrite })).rejects.toMatchObject({
            code: 'TL_ERR_USAGE',
            message: expect.stringContaining('this format is written as one .safetensors file'),
          });
        }
      }
    }
    expect(await readdir(d)).toEqual(['k2.safetensors']);
  });

  it('peft: writes the folder', async () => {
    const d = await caseDir();
    const output = `${join(d, 'newdir')}/`;
    const result = await convertLora({ input, output, to: 'peft' });
    expect((await stat(join(d, 'newdir'))).isDirectory()).toBe(true);
    expect((await readdir(join(d, 'newdir'))).sort()).toEqual([
      'adapter_config.json',
      'adapter_model.safetensors',
    ]);
    expect(result.files[0]?.path).toBe(join(d, 'newdir', 'adapter_model.safetensors'));
    expect(await readdir(d)).toEqual(['newdir']);
  });
});

describe('long names and file-system errors', () => {
  it('a 240-character name (valid, 252 bytes) is written: the temp name is shortened to fit', async () => {
    const d = await caseDir();
    const name = 'a'.repeat(240);
    await convertLora({ input, output: join(d, `${name}.safetensors`), to: 'kohya' });
    await convertLora({ input, output: join(d, name), to: 'peft' });
    expect(await tensorCount(join(d, `${name}.safetensors`))).toBeGreaterThan(0);
    expect((await readdir(join(d, name))).sort()).toEqual([
      'adapter_config.json',
      'adapter_model.safetensors',
    ]);
    expect((await readdir(d)).sort()).toEqual([name, `${name}.safetensors`]);
  });

  it('a name too long for the file system is TL_ERR_OUTPUT_WRITE naming -o, no temp file left', async () => {
    const d = await caseDir();
    const name = 'b'.repeat(300);
    for (const [to, output] of [
      ['kohya', join(d, `${name}.safetensors`)],
      ['peft', join(d, name)],
    ] as const) {
      await expect(convertLora({ input, output, to })).rejects.toMatchObject({
        code: 'TL_ERR_OUTPUT_WRITE',
        message: expect.stringMatching(new RegExp(`^-o ${output}: cannot be written \\(ENAMETOOLONG`)),
      });
    }
    expect(await readdir(d)).toEqual([]);
  });
});
