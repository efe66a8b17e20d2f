// src/jobs/upload-lora.test.ts — storeUploadedLora with stand-in parts and check: over the byte limit and
// refused files leave nothing; a character deleted during the check gets no row and no folder; the file is marked
// (`.uploading`) while it streams and is checked, so a server killed then leaves a leftover the next start removes;
// a character deleted between the folder's mkdir and the mark is the usual 404, not a 500.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { ToonloraError } from '../errors.js';
import type { Artifact, Character } from '../schemas/api.js';
import { loraUploadRelPath, lorasRelDir } from './data-layout.js';
import {
  type LoraUploadPart,
  type LoraUploadTarget,
  storeUploadedLora,
  uploadedLoraName,
} from './upload-lora.js';

const CHARACTER = 'c1';

/** Runs before the upload's mark is written (after the folder's mkdir): where a character delete can land. */
const hooks = vi.hoisted(() => ({ beforeMark: undefined as (() => void) | undefined }));
vi.mock('./upload-leftovers.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./upload-leftovers.js')>();
  return {
    ...actual,
    writeUploadMark: async (path: string) => {
      hooks.beforeMark?.();
      await actual.writeUploadMark(path);
    },
  };
});

function standIn(check: LoraUploadTarget['check'] = async () => ({ format: 'kohya' })) {
  const dataDir = mkdtempSync(join(tmpdir(), 'toonlora-upload-lora-'));
  const state = { deleted: false, added: [] as unknown[] };
  const target: LoraUploadTarget = {
    catalog: {
      dataDir,
      getCharacter: (id) => {
        if (state.deleted) throw new ToonloraError('TL_ERR_NOT_FOUND', `character ${id} not found`);
        return { id } as Character;
      },
      addArtifact: (input) => {
        state.added.push(input);
        return { id: 'a1', ...input } as unknown as Artifact;
      },
    },
    characterId: CHARACTER,
    maxBytes: 2048,
    check,
  };
  const characterDir = join(dataDir, 'characters', CHARACTER);
  const stored = () =>
    existsSync(join(characterDir, 'loras')) ? readdirSync(join(characterDir, 'loras')) : [];
  return { target, state, characterDir, stored };
}

function part(data: Buffer, truncated = false, fieldname = 'file'): LoraUploadPart {
  const file = Object.assign(Readable.from([data]), { truncated });
  return { fieldname, filename: 'mina.safetensors', file };
}

describe('storeUploadedLora', () => {
  it('records a checked file with the facts, and names it without its extension', async () => {
    const { target, state, stored } = standIn();
    await storeUploadedLora(part(Buffer.from('lora bytes')), target);
    expect(state.added).toEqual([
      expect.objectContaining({
        kind: 'lora',
        jobId: null,
        name: 'mina',
        meta: {
          uploaded: true,
          originalName: 'mina.safetensors',
          sha256: createHash('sha256').update('lora bytes').digest('hex'),
          format: 'kohya',
        },
      }),
    ]);
    expect(stored()).toHaveLength(1);
    expect([uploadedLoraName('a.SAFETENSORS'), uploadedLoraName('.safetensors')]).toEqual(['a', 'lora']);
  });

  it('stores the file under the data layout’s loras folder, under a generated name', async () => {
    const { target, state } = standIn();
    await storeUploadedLora(part(Buffer.from('lora bytes')), target);
    const [{ path }] = state.added as [{ path: string }];
    expect(lorasRelDir(CHARACTER)).toBe('characters/c1/loras');
    expect(path).toMatch(/^characters\/c1\/loras\/[0-9a-f-]{36}\.safetensors$/);
    expect(path).toBe(loraUploadRelPath(CHARACTER, basename(path, '.safetensors')));
  });

  it('refuses a file over the limit (413) or refused by the check, leaving no file', async () => {
    const refused = new ToonloraError('TL_ERR_LORA_FORMAT', 'mina.safetensors: not a LoRA');
    const { target, state, stored } = standIn(async () => {
      throw refused;
    });
    await expect(storeUploadedLora(part(Buffer.alloc(2048), true), target)).rejects.toMatchObject({
      code: 'TL_ERR_PAYLOAD_TOO_LARGE',
      message: 'mina.safetensors: larger than the 2 KiB limit for a LoRA; refused.',
    });
    await expect(storeUploadedLora(part(Buffer.from('x')), target)).rejects.toBe(refused);
    await expect(storeUploadedLora(undefined, target)).rejects.toMatchObject({ code: 'TL_ERR_USAGE' });
    expect(stored()).toEqual([]);
    expect(state.added).toEqual([]);
  });

  it('marks the file while it streams and while it is checked, and removes the mark once it is recorded', async () => {
    const seen: string[][] = [];
    const { target, stored } = standIn(async () => {
      seen.push(stored().sort());
      return {};
    });
    const body = new PassThrough();
    const file = Object.assign(body, { truncated: false });
    const upload = storeUploadedLora({ fieldname: 'file', filename: 'mina.safetensors', file }, target);
    body.write(Buffer.alloc(1000, 1));
    // a server killed now (kill -9) leaves the part written, and its mark
    while (!stored().some((name) => name.endsWith('.safetensors')))
      await new Promise((r) => setTimeout(r, 5));
    const [name] = stored().filter((entry) => entry.endsWith('.safetensors'));
    expect(stored().sort()).toEqual([name, `${name}.uploading`]);
    body.end(Buffer.alloc(24, 1));
    await upload;
    expect(seen).toEqual([[name, `${name}.uploading`]]);
    expect(stored()).toEqual([name]);
  });

  it('removes the file and its mark when the same bytes were uploaded before', async () => {
    const { target, state, stored } = standIn();
    const before = { id: 'earlier' } as Artifact;
    target.findUploaded = () => before;
    await expect(storeUploadedLora(part(Buffer.from('lora bytes')), target)).resolves.toEqual({
      artifact: before,
      duplicate: true,
    });
    expect(stored()).toEqual([]);
    expect(state.added).toEqual([]);
  });

  it('answers the 404 when the character is deleted between the folder’s mkdir and the mark', async () => {
    const { target, state, characterDir, stored } = standIn();
    hooks.beforeMark = () => {
      state.deleted = true; // DELETE /api/characters/:id: the row, then the folder
      rmSync(characterDir, { recursive: true, force: true });
    };
    const body = new PassThrough();
    const upload = storeUploadedLora(
      { fieldname: 'file', filename: 'mina.safetensors', file: Object.assign(body, { truncated: false }) },
      target,
    ).finally(() => {
      hooks.beforeMark = undefined;
    });
    body.end(Buffer.from('lora bytes'));
    await expect(upload).rejects.toMatchObject({
      code: 'TL_ERR_NOT_FOUND',
      message: `character ${CHARACTER} was deleted while this upload was in progress; nothing from it was stored. List characters with GET /api/characters.`,
    });
    expect(body.readableEnded).toBe(true); // drained: the request ends and gets its answer
    expect(stored()).toEqual([]);
    expect(state.added).toEqual([]);
  });

  it('leaves no row, file or folder when the character is deleted during the check', async () => {
    const { target, state, characterDir } = standIn(async () => {
      state.deleted = true;
      return {};
    });
    await expect(storeUploadedLora(part(Buffer.from('x')), target)).rejects.toMatchObject({
      code: 'TL_ERR_NOT_FOUND',
    });
    expect(state.added).toEqual([]);
    expect(existsSync(characterDir)).toBe(false);
  });
});
