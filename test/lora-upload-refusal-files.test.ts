// test/lora-upload-refusal-files.test.ts — a LoRA upload refused before its file has even opened (a disk slow to
// open it: NFS, a busy thread pool) leaves no file behind: a remote worker's finished LoRA (receiveLora) and a LoRA
// uploaded on the LoRA page (storeUploadedLora). Before, the file was removed before the open had made it, and the
// open made it afterwards: a `.worker-lora-<uuid>.partial` stayed in the run folder, a `<uuid>.safetensors` in loras/.
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { receiveLora } from '../src/jobs/remote/lora-upload.js';
import { storeUploadedLora } from '../src/jobs/upload-lora.js';

const OPEN_DELAY_MS = 150;

// every write stream opens its file OPEN_DELAY_MS late, as on a slow disk
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const slowOpen = (...args: Parameters<typeof fs.open>) => {
    setTimeout(() => (fs.open as (...a: unknown[]) => void)(...args), OPEN_DELAY_MS);
  };
  const createWriteStream = (path: string, options?: object) =>
    fs.createWriteStream(path, {
      ...options,
      fs: { open: slowOpen, write: fs.write, writev: fs.writev, close: fs.close },
    });
  return { ...fs, createWriteStream, default: { ...fs, createWriteStream } };
});

describe('a remote worker LoRA upload refused before its temporary file opened', () => {
  it('leaves no temporary file in the run folder, and the request whole', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'tl-lora-refused-'));
    const body = new PassThrough();
    body.write(Buffer.alloc(600));
    body.write(Buffer.alloc(600));
    await expect(receiveLora(runDir, body, 1000)).rejects.toMatchObject({
      code: 'TL_ERR_PAYLOAD_TOO_LARGE',
    });
    expect(body.destroyed).toBe(false);
    await new Promise((done) => setTimeout(done, OPEN_DELAY_MS * 3));
    expect(await readdir(runDir)).toEqual([]);
  });

  it('still stores a whole upload byte for byte', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'tl-lora-whole-'));
    const header = Buffer.from('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const file = Buffer.concat([length, header, Buffer.alloc(4)]);
    const body = new PassThrough();
    body.end(file);
    const stored = await receiveLora(runDir, body, 1_000_000);
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(stored)).toEqual(file);
  });
});

describe('a LoRA page upload whose body breaks before its file opened', () => {
  it('is refused and leaves no file in the loras folder', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tl-lora-page-refused-'));
    // the client's connection ends as soon as the file part is read
    const broken = new Readable({
      read() {
        this.destroy(new Error('Unexpected end of form'));
      },
    });
    const file = Object.assign(broken, { truncated: false });
    const stored = storeUploadedLora(
      { fieldname: 'file', filename: 'mina.safetensors', file },
      {
        catalog: {
          dataDir,
          getCharacter: () => {
            throw new Error('not reached');
          },
          addArtifact: () => {
            throw new Error('not reached');
          },
        },
        characterId: 'c1',
        maxBytes: 1000,
        check: async () => ({}),
      },
    );
    await expect(stored).rejects.toMatchObject({ code: 'TL_ERR_USAGE' });
    await new Promise((done) => setTimeout(done, OPEN_DELAY_MS * 3));
    const { readdir: list } = await import('node:fs/promises');
    const left = await list(dataDir, { recursive: true, withFileTypes: true });
    expect(left.filter((entry) => entry.isFile()).map((entry) => entry.name)).toEqual([]);
  });
});
