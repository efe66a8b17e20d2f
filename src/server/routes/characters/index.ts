// src/server/routes/characters/index.ts — /api/characters: list, create, get one, change one's name, trigger or
// class word, delete one with its files (moved aside with the rows' delete, then removed:
// src/jobs/deleted-folders.ts), the diffusers-format copies generation made of its LoRAs (as a LoRA's own delete
// does: worker/lora-copies.ts) and end its Upload page streams.
import type { FastifyInstance } from 'fastify';
import { changeCharacterWords } from '../../../jobs/character-words.js';
import { deleteWithFolders, removalReason } from '../../../jobs/deleted-folders.js';
import type { CacheOptions } from '../../../models/cache.js';
import {
  type Character,
  characterCreateSchema,
  characterListSchema,
  characterSchema,
  errorResponseSchema,
  idParamsSchema,
} from '../../../schemas/api.js';
import { type CharacterPatch, characterPatchSchema } from '../../../schemas/api-character-patch.js';
import { removeLoraCopies } from '../../../worker/lora-copies.js';
import { operatorLine } from '../../plugins/errors.js';
import { type ZodRouteTypes, zodRoute } from '../../route-schema.js';
import { uploadsLiveHub } from '../images/uploads-live.js';

export interface CharacterRouteOptions {
  /** Where generation keeps a LoRA's diffusers-format copies (the app's `modelCache`; default this process's). */
  modelCache?: CacheOptions;
}

/** The files of the LoRAs of character `id` (absolute, as generation was given them); one whose stored path leaves
 * the data folder was never given to generation, so it has no copy. */
function loraFilesOf(app: FastifyInstance, id: string): string[] {
  return app.catalog.listArtifacts({ characterId: id, kind: 'lora' }).flatMap((lora) => {
    try {
      return [app.catalog.artifactFilePath(lora.id)];
    } catch {
      return [];
    }
  });
}

/** Unloads `loraFiles` (a deleted character's LoRAs) from the warm generation worker and removes the diffusers-format
 * copies generation made of them (no job of its is queued or running, so none is in use); a copy left is only disk
 * space: logged by path and why, never thrown. */
async function removeCopiesOfLoras(
  app: FastifyInstance,
  id: string,
  loraFiles: readonly string[],
  modelCache: CacheOptions | undefined,
): Promise<void> {
  for (const file of loraFiles) {
    app.generation?.forgetLora?.(file);
    await removeLoraCopies(file, modelCache).catch((error: unknown) =>
      operatorLine(
        app.log,
        'warn',
        { characterId: id, lora: file, err: error },
        `deleting character ${id}: could not remove the diffusers-format copy generation made of its LoRA ${file} ` +
          `(${removalReason(error)}); it is only disk space: remove it yourself`,
      ),
    );
  }
}

/** PATCH: the name (when given) and the words (when given) in one transaction: a refused name changes nothing. */
function patchCharacter(app: FastifyInstance, id: string, patch: CharacterPatch): Character {
  return app.catalog.db.transaction(() => {
    if (patch.name !== undefined) app.catalog.renameCharacter(id, patch.name);
    return changeCharacterWords(app.catalog.db, id, patch);
  })();
}

export default async function characterRoutes(
  app: FastifyInstance,
  options: CharacterRouteOptions = {},
): Promise<void> {
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
        body: characterPatchSchema,
        response: {
          200: characterSchema,
          400: errorResponseSchema,
          404: errorResponseSchema,
          409: errorResponseSchema,
        },
        summary:
          "Changes a character's name, trigger or class word (any of them, at least one; the rules of a new character; 409 when another character has the name, in any case). Dataset versions built before keep their captions and the LoRAs trained on them their words; new builds use the new ones",
        tags: ['characters'],
      }),
    },
    async (request) => patchCharacter(app, request.params.id, request.body),
  );
  routes.delete(
    '/api/characters/:id',
    {
      schema: zodRoute({
        params: idParamsSchema,
        noContent: true,
        response: { 404: errorResponseSchema, 409: errorResponseSchema },
        summary:
          'Deletes a character with its screenshots, datasets, jobs, LoRAs and images, files included (and the diffusers-format copies generation made of its LoRAs) (409 while one of its jobs is queued or running); its Upload page streams end. 204 once the rows are gone: a folder that cannot be removed is logged, and removed at the next start. 500 TL_ERR_OUTPUT_WRITE naming a folder that cannot be moved aside (immutable, not writable): nothing deleted',
        tags: ['characters'],
      }),
    },
    async (request, reply) => {
      const { id } = request.params;
      let loraFiles: string[] = [];
      // the character is gone whatever happens next: a folder left is named, and the next start removes it
      deleteWithFolders(
        app.catalog.db,
        app.dataDir,
        { kind: 'character', id },
        {
          deleteRows: () => {
            loraFiles = loraFilesOf(app, id); // in the rows' transaction: no LoRA is added meanwhile
            return app.catalog.deleteCharacter(id);
          },
          rowsGone: () => uploadsLiveHub(app).characterGone(id),
          folderLeft: (fields, line) => operatorLine(app.log, 'warn', fields, line),
        },
      );
      await removeCopiesOfLoras(app, id, loraFiles, options.modelCache);
      return reply.code(204).send();
    },
  );
}
