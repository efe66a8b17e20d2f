// src/server/routes/images/index.ts — screenshots of a character: multipart upload (many files; each
// checked for size, type by content, pixel count and prep's minimum side, a TIFF converted to PNG, stored under a
// generated name: src/jobs/upload-images.ts), list, file, remove, and the Upload page's stream of their changes
// (uploads-live.ts); and the delete of one generated image (generated-delete.ts).
import { rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { commitUploads, stageUploads, UPLOAD_FIELD } from '../../../jobs/upload-images.js';
import { UPLOAD_TYPES } from '../../../jobs/upload-image-types.js';
import {
  errorResponseSchema,
  idParamsSchema,
  imageListSchema,
  type UploadLimits,
  uploadLimitsSchema,
  uploadResultSchema,
  uploadsLiveEventSchema,
} from '../../../schemas/api.js';
import { IMAGE_MIME } from '../../../vision/image-sniff.js';
import { type ZodRouteTypes, zodRoute } from '../../route-schema.js';
import { openStoredFile } from '../../stored-file.js';
import { endEventStream, openEventStream } from '../../event-stream.js';
import { deleteGeneratedImage } from './generated-delete.js';
import { uploadsLiveHub, uploadsLiveSse } from './uploads-live.js';

/** The upload form for /openapi.json: one or more `files` parts (the route reads them itself). */
function uploadFormSchema(limits: UploadLimits): Record<string, unknown> {
  return {
    type: 'object',
    required: [UPLOAD_FIELD],
    properties: {
      [UPLOAD_FIELD]: {
        type: 'array',
        minItems: 1,
        maxItems: limits.maxFiles,
        description: `Screenshots, ${UPLOAD_TYPES} (type read from the bytes; a TIFF is stored as PNG, its first page, under its base name with .png, and listed in the answer's \`converted\`), up to ${limits.maxFileBytes} bytes and ${limits.maxPixels} pixels each, the shorter side at least ${limits.minSidePx} px (smaller ones prep would skip); a bad file is rejected alone.`,
        items: { type: 'string', format: 'binary' },
      },
    },
  };
}

export default async function imageRoutes(
  app: FastifyInstance,
  options: { limits: UploadLimits },
): Promise<void> {
  const routes = app.withTypeProvider<ZodRouteTypes>();
  const { limits } = options;
  // the Upload page's open streams end as the server closes (they would keep it open)
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const raw of streams) endEventStream(raw);
  });

  routes.post(
    '/api/characters/:id/images',
    {
      schema: zodRoute({
        params: idParamsSchema,
        multipartBody: uploadFormSchema(limits),
        response: {
          200: uploadResultSchema,
          201: uploadResultSchema,
          400: errorResponseSchema,
          404: errorResponseSchema,
          413: errorResponseSchema,
          415: errorResponseSchema,
          422: errorResponseSchema,
        },
        summary:
          'Upload screenshots (multipart, field "files", many at once); a file the character already has (same bytes) is listed in `duplicates` with the existing screenshot, not stored again (200 when nothing new was stored)',
        tags: ['images'],
      }),
    },
    async (request, reply) => {
      const character = app.catalog.getCharacter(request.params.id);
      // All or nothing: files are written as they arrive, but recorded only once the whole body has
      // been read; a body that breaks off or exceeds a limit, or a character deleted meanwhile, leaves
      // no file and no record behind.
      const target = { catalog: app.catalog, characterId: character.id, limits };
      const staged = await stageUploads(request.files(), target);
      const result = await commitUploads(target, staged);
      if (result.uploaded.length > 0) uploadsLiveHub(app).uploadsChanged(character.id);
      return reply.status(result.uploaded.length > 0 ? 201 : 200).send(result);
    },
  );

  routes.get(
    '/api/upload-limits',
    {
      schema: zodRoute({
        response: { 200: uploadLimitsSchema },
        summary:
          'What one upload request may hold (files, bytes per file, pixels per image), and the largest LoRA file POST /api/loras takes',
        tags: ['images'],
      }),
    },
    async () => ({
      maxFiles: limits.maxFiles,
      maxFileBytes: limits.maxFileBytes,
      maxPixels: limits.maxPixels,
      minSidePx: limits.minSidePx,
      maxLoraBytes: limits.maxLoraBytes,
    }),
  );

  routes.get(
    '/api/characters/:id/images',
    { schema: zodRoute({ params: idParamsSchema, response: { 200: imageListSchema }, tags: ['images'] }) },
    async (request) => {
      app.catalog.getCharacter(request.params.id);
      return { images: app.catalog.listImages(request.params.id) };
    },
  );

  routes.delete(
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
      const { characterId } = app.catalog.getImage(request.params.id);
      const unused = app.catalog.removeImage(request.params.id);
      uploadsLiveHub(app).uploadsChanged(characterId);
      if (unused) await rm(unused, { force: true });
      return reply.code(204).send();
    },
  );

  routes.delete(
    '/api/generated-images/:id',
    {
      schema: zodRoute({
        params: idParamsSchema,
        noContent: true,
        response: { 404: errorResponseSchema, 409: errorResponseSchema },
        summary:
          "Deletes one generated image or sweep grid (an artifact of kind image or grid): its row and its file; its generate job and the job's other images stay. 404 for any other artifact (a LoRA: DELETE /api/loras/:id), 409 while its job is queued or running. A job with all its images: DELETE /api/jobs/:id?withImages=true",
        tags: ['images'],
      }),
    },
    async (request, reply) => {
      await deleteGeneratedImage(app, request.params.id, request.log);
      return reply.code(204).send();
    },
  );

  routes.get(
    '/api/characters/:id/stream',
    {
      schema: zodRoute({
        params: idParamsSchema,
        response: { 404: errorResponseSchema },
        summary: `Server-sent events for the Upload page, not stored (no id): ${uploadsLiveEventSchema.options.map((e) => `\`${e}\``).join(', ')}, when the character's screenshots change (an upload, a removal) or one of its prep jobs is submitted or changes status; the data names the character. The stream ends when the character is deleted`,
        tags: ['images'],
      }),
    },
    async (request, reply) => {
      const character = app.catalog.getCharacter(request.params.id);
      const stream = openEventStream(reply);
      stream.write(': following\n\n'); // the headers go out now: the page's EventSource opens
      stream.onEnd(
        uploadsLiveHub(app).follow(
          character.id,
          (event) => stream.write(uploadsLiveSse(event, character.id)),
          () => stream.end(),
        ),
      );
      streams.add(stream.raw);
      stream.onEnd(() => streams.delete(stream.raw));
    },
  );

  routes.get(
    '/api/images/:id/file',
    { schema: zodRoute({ params: idParamsSchema, summary: 'The stored screenshot', tags: ['images'] }) },
    async (request, reply) => {
      const image = app.catalog.getImage(request.params.id);
      const path = app.catalog.imageFilePath(image.id);
      const file = await openStoredFile(path, `the stored screenshot ${image.originalName}`, request.log);
      return reply.type(IMAGE_MIME[image.format]).send(file);
    },
  );
}
