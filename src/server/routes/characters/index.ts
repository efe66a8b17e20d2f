// src/server/routes/characters/index.ts — /api/characters: list, create, get one, rename one, delete one with
// its files (moved aside with the rows' delete, then removed: src/jobs/deleted-folders.ts) and end its Upload page
// streams.
import type { FastifyInstance } from 'fastify';
import { deleteRowsMovingFoldersAside, removeDeletedFolders } from '../../../jobs/deleted-folders.js';
import {
  characterCreateSchema,
  characterListSchema,
  characterRenameSchema,
  characterSchema,
  errorResponseSchema,
  idParamsSchema,
} from '../../../schemas/api.js';
import { operatorLine } from '../../plugins/errors.js';
import { type ZodRouteTypes, zodRoute } from '../../route-schema.js';
import { uploadsLiveHub } from '../images/uploads-live.js';

export default async function characterRoutes(app: FastifyInstance): Promise<void> {
  const routes = app.withTypeProvider<ZodRouteTypes>();
  routes.get(
    '/api/characters',
    { schema: zodRoute({ response: { 200: characterListSchema }, tags: ['characters'] }) },
    async () => ({ characters: app.catalog.listCharacters() }),
  );
  routes.post(
    '/api/characters',
    {
      schema: zodRoute({
        body: characterCreateSchema,
        response: { 201: characterSchema, 400: errorResponseSchema, 409: errorResponseSchema },
        summary: 'Creates a character (409 when another character has the name, in any case)',
        tags: ['characters'],
      }),
    },
    async (request, reply) => reply.status(201).send(app.catalog.createCharacter(request.body)),
  );
  routes.get(
    '/api/characters/:id',
    {
      schema: zodRoute({
        params: idParamsSchema,
        response: { 200: characterSchema, 404: errorResponseSchema },
        tags: ['characters'],
      }),
    },
    async (request) => app.catalog.getCharacter(request.params.id),
  );
  routes.patch(
    '/api/characters/:id',
    {
      schema: zodRoute({
        params: idParamsSchema,
        body: characterRenameSchema,
        response: {
          200: characterSchema,
          400: errorResponseSchema,
          404: errorResponseSchema,
          409: errorResponseSchema,
        },
        summary:
          'Renames a character (the name rules of a new one; 409 when another character has the name, in any case); its trigger and class word stay',
        tags: ['characters'],
      }),
    },
    async (request) => app.catalog.renameCharacter(request.params.id, request.body.name),
  );
  routes.delete(
    '/api/characters/:id',
    {
      schema: zodRoute({
        params: idParamsSchema,
        noContent: true,
        response: { 404: errorResponseSchema, 409: errorResponseSchema },
        summary:
          'Deletes a character with its screenshots, datasets, jobs, LoRAs and images, files included (409 while one of its jobs is queued or running); its Upload page streams end. 204 once the rows are gone: a folder that cannot be removed is logged, and removed at the next start. 500 TL_ERR_OUTPUT_WRITE naming a folder that cannot be moved aside (immutable, not writable): nothing deleted',
        tags: ['characters'],
      }),
    },
    async (request, reply) => {
      const { id } = request.params;
      const moved = deleteRowsMovingFoldersAside(
        app.catalog.db,
        () => app.catalog.deleteCharacter(id),
        app.dataDir,
        Date.now(),
      );
      uploadsLiveHub(app).characterGone(id);
      // the character is gone whatever happens next: a folder left is named, and the next start removes it
      for (const { path, reason } of removeDeletedFolders(app.catalog.db, app.dataDir, moved)) {
        operatorLine(
          app.log,
          'warn',
          { characterId: id, path },
          `deleting character ${id}: could not remove ${path} (${reason}); the next start tries again`,
        );
      }
      return reply.code(204).send();
    },
  );
}
