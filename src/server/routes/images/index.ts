// src/server/routes/images/index.ts — screenshots of a character: multipart upload (many files; each
// checked for size, type by content and pixel count, stored under a generated name), list, file, remove.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ToonloraError } from '../../../errors.js';
import { characterRelDir, uploadRelPath } from '../../../jobs/data-layout.js';
import { type NewImage, resolveDataPath } from '../../../jobs/store.js';
import {
  errorResponseSchema,
  idParamsSchema,
  imageListSchema,
  type UploadedImage,
  uploadResultSchema,
} from '../../../schemas/api.js';
import { decodeToRgb, readImageHeader } from '../../../vision/sharp-io.js';
import { displayName, extensionFor, IMAGE_MIME, sniffImageFormat } from '../../image-sniff.js';
import { zodRoute } from '../../route-schema.js';
import type { UploadLimits } from '../../upload-limits.js';

interface Rejection {
  name: string;
  code: string;
  reason: string;
}

/**
 * What a multipart body that could not be read to its end answers: the limits keep their 4xx (413 for
 * too many files or parts); a malformed or cut-off body (busboy's errors carry no status) is a 400.
 * Either way nothing of the upload was stored.
 */
function brokenUpload(error: unknown, limits: UploadLimits): unknown {
  const { statusCode, syscall, code } = error as { statusCode?: number; syscall?: string; code?: string };
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT') {
    return new ToonloraError(
      'TL_ERR_PAYLOAD_TOO_LARGE',
      `upload: more than ${limits.maxFiles} files in one request; nothing from it was stored. Send them in batches of ${limits.maxFiles} or fewer.`,
      { cause: error },
    );
  }
  // a ToonloraError, a limit (4xx), or the server's own file system (a 500): unchanged
  if (error instanceof ToonloraError || statusCode !== undefined || syscall !== undefined) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new ToonloraError(
    'TL_ERR_USAGE',
    `upload: the multipart body could not be read (${reason}); nothing from it was stored. Send multipart/form-data with one or more "files" parts.`,
    { cause: error },
  );
}

/**
 * Removes every file a failed upload stored and returns the error to answer with. DELETE
 * /api/characters/:id does not wait for uploads: when the character was deleted meanwhile, the answer is a
 * 404 saying so, and the `uploads/` and character folders this upload's mkdir recreated go too, if nothing
 * else is in them (another upload still writing there removes them when it fails in turn).
 */
async function discardUpload(
  app: FastifyInstance,
  characterId: string,
  paths: readonly string[],
  error: unknown,
): Promise<unknown> {
  await Promise.all(paths.map((path) => rm(path, { force: true })));
  try {
    app.catalog.getCharacter(characterId);
    return error;
  } catch (gone) {
    if (!(gone instanceof ToonloraError && gone.code === 'TL_ERR_NOT_FOUND')) throw gone;
  }
  const characterDir = resolveDataPath(app.dataDir, characterRelDir(characterId));
  for (const dir of [join(characterDir, 'uploads'), characterDir]) {
    await rmdir(dir).catch(() => undefined); // ENOENT (already gone) or ENOTEMPTY (still in use): keep going
  }
  return new ToonloraError(
    'TL_ERR_NOT_FOUND',
    `character ${characterId} was deleted while this upload was in progress; nothing from it was stored. List characters with GET /api/characters.`,
    { cause: error, details: { id: characterId } },
  );
}

/** Checks one uploaded file; returns what to store or throws a ToonloraError naming the file. */
async function checkUpload(name: string, data: Buffer, truncated: boolean, limits: UploadLimits) {
  if (truncated) {
    throw new ToonloraError(
      'TL_ERR_PAYLOAD_TOO_LARGE',
      `${name}: larger than the ${limits.maxFileBytes} byte limit per file; refused. Send a smaller file.`,
    );
  }
  if (data.length === 0) throw new ToonloraError('TL_ERR_IMAGE_DECODE', `${name}: empty file; refused.`);
  const format = sniffImageFormat(data.subarray(0, 16));
  if (!format) {
    throw new ToonloraError(
      'TL_ERR_UNSUPPORTED_MEDIA',
      `${name}: content is not PNG, JPEG, WebP or GIF (the type is read from the bytes, not the name); refused.`,
    );
  }
  let header: Awaited<ReturnType<typeof readImageHeader>>;
  try {
    header = await readImageHeader(data);
  } catch {
    throw new ToonloraError(
      'TL_ERR_IMAGE_DECODE',
      `${name}: ${format} header cannot be read (truncated or corrupt); refused.`,
    );
  }
  if (header.width * header.height > limits.maxPixels) {
    throw new ToonloraError(
      'TL_ERR_PAYLOAD_TOO_LARGE',
      `${name}: ${header.width}x${header.height} pixels exceeds the ${limits.maxPixels} pixel limit; refused. Downscale it first.`,
    );
  }
  // A readable header is not a readable image: a file cut short would fail only later, in prep.
  try {
    await decodeToRgb(data, { maxPixels: limits.maxPixels });
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new ToonloraError(
      'TL_ERR_IMAGE_DECODE',
      `${name}: ${format} pixels cannot be decoded (${reason}: truncated or corrupt); refused. Upload the whole file again.`,
    );
  }
  return { format, width: header.width, height: header.height };
}

/** The multipart field the upload reads (the web app and /openapi.json use it); other fields are refused. */
const UPLOAD_FIELD = 'files';

function wrongUploadField(field: string): ToonloraError {
  return new ToonloraError(
    'TL_ERR_USAGE',
    `upload: a file came in the multipart field ${JSON.stringify(field)}; send every file as a "${UPLOAD_FIELD}" part (e.g. curl -F ${UPLOAD_FIELD}=@page.png). Nothing from this upload was stored.`,
    { details: { field, expected: UPLOAD_FIELD } },
  );
}

/** The upload form for /openapi.json: one or more `files` parts (the route reads them itself). */
function uploadFormSchema(limits: UploadLimits): Record<string, unknown> {
  return {
    type: 'object',
    required: ['files'],
    properties: {
      files: {
        type: 'array',
        minItems: 1,
        maxItems: limits.maxFiles,
        description: `Screenshots, PNG / JPEG / WebP / GIF (type read from the bytes), up to ${limits.maxFileBytes} bytes and ${limits.maxPixels} pixels each; a bad file is rejected alone.`,
        items: { type: 'string', format: 'binary' },
      },
    },
  };
}

export default async function imageRoutes(
  app: FastifyInstance,
  options: { limits: UploadLimits },
): Promise<void> {
  const { limits } = options;

  app.post<{ Params: { id: string } }>(
    '/api/characters/:id/images',
    {
      schema: zodRoute({
        params: idParamsSchema,
        multipartBody: uploadFormSchema(limits),
        response: {
          201: uploadResultSchema,
          400: errorResponseSchema,
          404: errorResponseSchema,
          413: errorResponseSchema,
          415: errorResponseSchema,
          422: errorResponseSchema,
        },
        summary: 'Upload screenshots (multipart, field "files", many at once)',
        tags: ['images'],
      }),
    },
    async (request, reply) => {
      const character = app.catalog.getCharacter(request.params.id);
      // All or nothing: files are written as they arrive, but recorded only once the whole body has
      // been read; a body that breaks off or exceeds a limit, or a character deleted meanwhile, leaves
      // no file and no record behind.
      const staged: { image: NewImage; path: string }[] = [];
      const rejected: Rejection[] = [];
      let firstError: ToonloraError | undefined;
      try {
        for await (const part of request.files()) {
          if (part.fieldname !== UPLOAD_FIELD) throw wrongUploadField(part.fieldname);
          const name = displayName(part.filename);
          const data = await part.toBuffer();
          try {
            const checked = await checkUpload(name, data, part.file.truncated, limits);
            const id = randomUUID();
            const rel = uploadRelPath(character.id, id, extensionFor(checked.format));
            const path = resolveDataPath(app.dataDir, rel);
            await mkdir(dirname(path), { recursive: true });
            await writeFile(path, data, { flag: 'wx' });
            const sha256 = createHash('sha256').update(data).digest('hex');
            staged.push({
              image: {
                id,
                originalName: name,
                storedPath: rel,
                ...checked,
                bytes: data.length,
                sha256,
              },
              path,
            });
          } catch (error) {
            if (!(error instanceof ToonloraError)) throw error;
            firstError ??= error;
            rejected.push({ name, code: error.code, reason: error.message });
          }
        }
      } catch (error) {
        const stored = staged.map(({ path }) => path);
        throw await discardUpload(app, character.id, stored, brokenUpload(error, limits));
      }
      const images = staged.map(({ image }) => image);
      const paths = staged.map(({ path }) => path);
      let uploaded: UploadedImage[] = [];
      try {
        // looks the character up again, in the same transaction: it may have been deleted meanwhile
        if (images.length > 0) uploaded = app.catalog.addImages(character.id, images);
      } catch (error) {
        throw await discardUpload(app, character.id, paths, error);
      }
      if (uploaded.length === 0) {
        if (firstError) {
          throw new ToonloraError(firstError.code, firstError.message, { details: { rejected } });
        }
        throw new ToonloraError(
          'TL_ERR_USAGE',
          'no files in the upload; send multipart/form-data with one or more "files" parts.',
        );
      }
      return reply.status(201).send({ uploaded, rejected });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/characters/:id/images',
    { schema: zodRoute({ params: idParamsSchema, response: { 200: imageListSchema }, tags: ['images'] }) },
    async (request) => {
      app.catalog.getCharacter(request.params.id);
      return { images: app.catalog.listImages(request.params.id) };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/images/:id',
    {
      schema: zodRoute({
        params: idParamsSchema,
        noContent: true,
        response: { 404: errorResponseSchema, 409: errorResponseSchema },
        summary:
          "Removes a screenshot from its character's list and the next dataset, and its file unless a dataset built from it shows it as an original; 409 while a running prep job reads it",
        tags: ['images'],
      }),
    },
    async (request, reply) => {
      const unused = app.catalog.removeImage(request.params.id);
      if (unused) await rm(unused, { force: true });
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/images/:id/file',
    { schema: zodRoute({ params: idParamsSchema, summary: 'The stored screenshot', tags: ['images'] }) },
    async (request, reply) => {
      const image = app.catalog.getImage(request.params.id);
      const path = app.catalog.imageFilePath(image.id);
      return reply.type(IMAGE_MIME[image.format]).send(createReadStream(path));
    },
  );
}
