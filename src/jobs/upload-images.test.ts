// src/jobs/upload-images.test.ts — an upload without fastify: parts from an async iterable, a stand-in catalog
// and a temp data folder. Good files are staged and recorded, bad ones refused alone; a body that breaks off,
// a part in another field, or a character deleted before the commit leaves no file behind.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ToonloraError } from '../errors.js';
import { type Character, type UploadedImage, uploadLimitsSchema } from '../schemas/api.js';
import { encodePngBuffer } from '../vision/sharp-io.js';
import { MIN_IMAGE_SIDE_PX, tooSmallText } from '../prep/decode.js';
import type { NewImage } from './catalog/images.js';
import { commitUploads, stageUploads, type UploadCatalog, type UploadPart } from './upload-images.js';

const CHARACTER = 'c1';

/** The API shape of a recorded image. */
function uploadedOf(characterId: string, image: NewImage): UploadedImage {
  return { ...image, characterId, createdAt: '2025-01-01T00:00:00Z', url: `/api/images/${image.id}/file` };
}

/** A catalog of one character that records added images; `deleted` makes it answer as if the character went. */
function standInCatalog() {
  const dataDir = mkdtempSync(join(tmpdir(), 'toonlora-upload-images-'));
  const added: NewImage[] = [];
  const state = { deleted: false };
  const getCharacter = (id: string): Character => {
    if (state.deleted || id !== CHARACTER)
      throw new ToonloraError('TL_ERR_NOT_FOUND', `character ${id} not found`);
    return { id, name: 'Mina', trigger: 'mina_tl', classWord: 'girl' } as Character;
  };
  const catalog: UploadCatalog = {
    dataDir,
    getCharacter,
    addImages: (characterId, images) => {
      getCharacter(characterId);
      added.push(...images);
      return images.map((image) => uploadedOf(characterId, image));
    },
    findImageBySha256: (characterId, sha256) => {
      const image = added.find((candidate) => candidate.sha256 === sha256);
      return image && uploadedOf(characterId, image);
    },
  };
  const target = {
    catalog,
    characterId: CHARACTER,
    limits: uploadLimitsSchema.parse({ maxFileBytes: 10_000 }),
  };
  const uploadsDir = join(dataDir, 'characters', CHARACTER, 'uploads');
  const storedFiles = () => (existsSync(uploadsDir) ? readdirSync(uploadsDir) : []);
  return { target, added, state, dataDir, uploadsDir, storedFiles };
}

function part(
  filename: string,
  data: Buffer,
  options: { field?: string; truncated?: boolean } = {},
): UploadPart {
  return {
    fieldname: options.field ?? 'files',
    filename,
    file: { truncated: options.truncated ?? false },
    toBuffer: async () => data,
  };
}

async function* partsOf(list: readonly UploadPart[], thenThrow?: unknown): AsyncGenerator<UploadPart> {
  for (const item of list) yield item;
  if (thenThrow !== undefined) throw thenThrow;
}

/** A grey PNG; by default the smallest the upload accepts (prep's minimum shorter side). */
const png = (width = MIN_IMAGE_SIDE_PX, height = width) =>
  encodePngBuffer({ width, height, data: new Uint8Array(width * height * 3).fill(120) });

describe('stageUploads + commitUploads', () => {
  it('stores and records the good files, and refuses each bad one alone with a reason', async () => {
    const { target, added, uploadsDir, storedFiles } = standInCatalog();
    const good = await png(80, 64);
    const staged = await stageUploads(
      partsOf([
        part('a.png', good),
        part('notes.png', Buffer.from('just text, named .png')),
        part('empty.png', Buffer.alloc(0)),
        part('big.png', good, { truncated: true }),
        part('cut.png', good.subarray(0, good.length - 20)),
      ]),
      target,
    );
    expect(staged.staged).toHaveLength(1);
    expect(staged.rejected.map((r) => [r.name, r.code])).toEqual([
      ['notes.png', 'TL_ERR_UNSUPPORTED_MEDIA'],
      ['empty.png', 'TL_ERR_IMAGE_DECODE'],
      ['big.png', 'TL_ERR_PAYLOAD_TOO_LARGE'],
      ['cut.png', 'TL_ERR_IMAGE_DECODE'],
    ]);
    expect(staged.firstError?.code).toBe('TL_ERR_UNSUPPORTED_MEDIA');
    expect(added).toEqual([]); // nothing recorded before the commit

    const result = await commitUploads(target, staged);
    expect(result.rejected).toBe(staged.rejected);
    const [image] = added;
    expect(image).toMatchObject({
      originalName: 'a.png',
      format: 'png',
      width: 80,
      height: 64,
      bytes: good.length,
    });
    expect(image?.storedPath).toBe(`characters/${CHARACTER}/uploads/${image?.id}.png`);
    expect(image?.sha256).toBe(createHash('sha256').update(good).digest('hex'));
    expect(result.uploaded.map((u) => u.id)).toEqual([image?.id]);
    expect(storedFiles()).toEqual([`${image?.id}.png`]);
    expect(readFileSync(join(uploadsDir, `${image?.id}.png`))).toEqual(good);
  });

  it('stores bytes the character already has only once, naming the screenshot that has them', async () => {
    const { target, added, storedFiles } = standInCatalog();
    const page1 = await png(80, 64);
    const page2 = await png(64, 80);
    const first = await commitUploads(target, await stageUploads(partsOf([part('p1.png', page1)]), target));
    const p1 = first.uploaded[0]?.id;
    expect(first.duplicates).toEqual([]);

    // again, renamed, beside a new page that comes twice in the same upload
    const staged = await stageUploads(
      partsOf([part('p1 copy.png', page1), part('p2.png', page2), part('p2 again.png', page2)]),
      target,
    );
    const again = await commitUploads(target, staged);
    const p2 = again.uploaded[0]?.id;
    expect(again.uploaded.map((u) => u.originalName)).toEqual(['p2.png']);
    expect(again.duplicates).toEqual([
      { name: 'p1 copy.png', existingId: p1 },
      { name: 'p2 again.png', existingId: p2 },
    ]);
    expect(added.map((image) => image.originalName)).toEqual(['p1.png', 'p2.png']);
    expect(storedFiles().sort()).toEqual([`${p1}.png`, `${p2}.png`].sort());

    // only duplicates: nothing stored, no error
    const only = await commitUploads(target, await stageUploads(partsOf([part('p1.png', page1)]), target));
    expect(only).toEqual({ uploaded: [], rejected: [], duplicates: [{ name: 'p1.png', existingId: p1 }] });
  });

  it('drops a staged file whose bytes another upload recorded meanwhile', async () => {
    const { target, added, storedFiles } = standInCatalog();
    const page = await png(80, 64);
    const slow = await stageUploads(partsOf([part('slow.png', page)]), target);
    const fast = await commitUploads(target, await stageUploads(partsOf([part('fast.png', page)]), target));
    const late = await commitUploads(target, slow);
    expect(late.uploaded).toEqual([]);
    expect(late.duplicates).toEqual([{ name: 'slow.png', existingId: fast.uploaded[0]?.id }]);
    expect(added).toHaveLength(1);
    expect(storedFiles()).toEqual([`${fast.uploaded[0]?.id}.png`]);
  });

  it('names a TIFF another upload recorded meanwhile by the name it was sent under, not its stored PNG name', async () => {
    const { target, added } = standInCatalog();
    const side = MIN_IMAGE_SIDE_PX;
    const scan = await sharp({ create: { width: side, height: side, channels: 3, background: '#888' } })
      .tiff({ compression: 'lzw' })
      .toBuffer();
    const otherTab = await stageUploads(partsOf([part('scan.tif', scan)]), target);
    const first = await commitUploads(target, await stageUploads(partsOf([part('scan.tif', scan)]), target));
    const late = await commitUploads(target, otherTab);
    expect(late.duplicates).toEqual([{ name: 'scan.tif', existingId: first.uploaded[0]?.id }]);
    expect(added).toHaveLength(1);
  });

  it('names a known unsupported format with its fix, and the size limit in MiB', async () => {
    const { target } = standInCatalog();
    const heic = Buffer.from('\0\0\0\x18ftypheic\0\0\0\0', 'latin1');
    const staged = await stageUploads(
      partsOf([part('IMG_0001.heic', heic), part('big.png', await png(), { truncated: true })]),
      { ...target, limits: uploadLimitsSchema.parse({ maxFileBytes: 25 * 1024 * 1024 }) },
    );
    expect(staged.rejected.map((r) => r.reason)).toEqual([
      'IMG_0001.heic: a HEIC image, which this server cannot decode; the upload takes PNG, JPEG, WebP, GIF, BMP, AVIF or TIFF: export it as JPEG or PNG (on an iPhone: Settings > Camera > Formats > Most Compatible); refused.',
      'big.png: larger than the 25 MiB limit per file; refused. Send a smaller file.',
    ]);
  });

  it("refuses an image prep would skip as too small (1x1, 20x20000), in prep's words", async () => {
    const { target, added } = standInCatalog();
    const staged = await stageUploads(
      partsOf([
        part('dot.png', await png(1, 1)),
        part('thread.png', await png(20, 20_000)),
        part('ok.png', await png()),
      ]),
      target,
    );
    expect(staged.rejected).toEqual([
      {
        name: 'dot.png',
        code: 'TL_ERR_IMAGE_DECODE',
        reason:
          'dot.png: 1x1 pixels; the shorter side must be at least 64 px; refused. Upload a larger screenshot.',
      },
      {
        name: 'thread.png',
        code: 'TL_ERR_IMAGE_DECODE',
        reason: `thread.png: ${tooSmallText(20, 20_000)}; refused. Upload a larger screenshot.`,
      },
    ]);
    await commitUploads(target, staged);
    expect(added.map((image) => image.originalName)).toEqual(['ok.png']);
  });

  it('records the upright size of a photo stored on its side (EXIF orientation 6), as prep will see it', async () => {
    const { target, added } = standInCatalog();
    // stored 160x72, shown 72x160 (an upright phone screenshot saved rotated)
    const rotated = await sharp(await png(160, 72))
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    await commitUploads(target, await stageUploads(partsOf([part('upright.jpg', rotated)]), target));
    expect(added).toMatchObject([{ originalName: 'upright.jpg', width: 72, height: 160 }]);
  });

  it('names an SVG as an SVG, also after an XML prolog', async () => {
    const { target } = standInCatalog();
    const svg = `<?xml version="1.0" encoding="UTF-8"?>\n<!-- drawn by hand -->\n<svg xmlns="http://www.w3.org/2000/svg" width="99" height="99"></svg>`;
    const staged = await stageUploads(partsOf([part('logo.svg', Buffer.from(svg))]), target);
    expect(staged.rejected).toEqual([
      {
        name: 'logo.svg',
        code: 'TL_ERR_UNSUPPORTED_MEDIA',
        reason:
          'logo.svg: an SVG image; the upload takes PNG, JPEG, WebP, GIF, BMP, AVIF or TIFF: convert it to PNG; refused.',
      },
    ]);
  });

  it('answers the first refusal, listing every refused file, when nothing was accepted', async () => {
    const { target, storedFiles } = standInCatalog();
    const staged = await stageUploads(
      partsOf([part('a.txt', Buffer.from('hello')), part('b.png', Buffer.alloc(0))]),
      target,
    );
    const error = await commitUploads(target, staged).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToonloraError);
    expect(error).toMatchObject({ code: 'TL_ERR_UNSUPPORTED_MEDIA', details: { rejected: staged.rejected } });
    expect((error as Error).message).toMatch(
      /^a\.txt: content is not PNG, JPEG, WebP, GIF, BMP, AVIF or TIFF/,
    );
    expect(storedFiles()).toEqual([]);
    await expect(commitUploads(target, await stageUploads(partsOf([]), target))).rejects.toThrow(
      'no files in the upload; send multipart/form-data with one or more "files" parts.',
    );
  });

  it('removes the files already written when the body breaks off or a part comes in another field', async () => {
    const { target, added, storedFiles } = standInCatalog();
    const good = await png();
    const broken = stageUploads(partsOf([part('a.png', good)], new Error('Unexpected end of form')), target);
    await expect(broken).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message: expect.stringMatching(
        /^upload: the multipart body could not be read \(Unexpected end of form\); nothing from it was stored\./,
      ),
    });
    expect(storedFiles()).toEqual([]);

    const wrongField = stageUploads(
      partsOf([part('a.png', good), part('b.png', good, { field: 'image' })]),
      target,
    );
    await expect(wrongField).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      details: { field: 'image', expected: 'files' },
    });
    expect(storedFiles()).toEqual([]);

    const tooMany = Object.assign(new Error('reach files limit'), { code: 'FST_FILES_LIMIT' });
    await expect(stageUploads(partsOf([part('a.png', good)], tooMany), target)).rejects.toMatchObject({
      code: 'TL_ERR_PAYLOAD_TOO_LARGE',
      message: expect.stringContaining(`more than ${target.limits.maxFiles} files in one request`),
    });
    expect(storedFiles()).toEqual([]);
    expect(added).toEqual([]);
  });

  it('leaves no file or folder when the character is deleted before the commit, and says so (404)', async () => {
    const { target, state, dataDir, added } = standInCatalog();
    const staged = await stageUploads(partsOf([part('a.png', await png())]), target);
    expect(existsSync(staged.staged[0]?.path as string)).toBe(true);
    state.deleted = true;
    await expect(commitUploads(target, staged)).rejects.toMatchObject({
      code: 'TL_ERR_NOT_FOUND',
      message: `character ${CHARACTER} was deleted while this upload was in progress; nothing from it was stored. List characters with GET /api/characters.`,
      details: { id: CHARACTER },
    });
    expect(added).toEqual([]);
    expect(existsSync(join(dataDir, 'characters', CHARACTER))).toBe(false);
  });
});
