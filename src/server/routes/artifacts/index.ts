// src/server/routes/artifacts/index.ts — LoRAs, training samples and generated images: list, file,
// LoRA download (kohya by default, diffusers converted on first request and kept), LoRA inspect.
import { createReadStream, existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { ToonloraError } from '../../../errors.js';
import {
  type Artifact,
  artifactListQuerySchema,
  artifactListSchema,
  errorResponseSchema,
  idParamsSchema,
  loraDownloadQuerySchema,
  loraInspectSchema,
} from '../../../schemas/api.js';
import type { LoraTools } from '../../lora-tools.js';
import { type ZodRouteTypes, zodRoute } from '../../route-schema.js';

/** The A1111 / Forge prompt snippet for a LoRA: `<lora:name:0.8>` plus the trigger words. */
export function a1111Snippet(name: string, trigger: string, weight = 0.8): string {
  return `<lora:${name}:${weight}>, ${trigger}`;
}

/** `an image`, `a sample`: the kind with its article. */
export function withArticle(word: string): string {
  return `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}

export default async function artifactRoutes(
  app: FastifyInstance,
  options: { loraTools: LoraTools },
): Promise<void> {
  const routes = app.withTypeProvider<ZodRouteTypes>();
  const getLora = (id: string): Artifact => {
    const artifact = app.catalog.getArtifact(id);
    if (artifact.kind !== 'lora')
      throw new ToonloraError(
        'TL_ERR_NOT_FOUND',
        `artifact ${id} is ${withArticle(artifact.kind)}, not a LoRA.`,
      );
    return artifact;
  };

  routes.get(
    '/api/artifacts',
    {
      schema: zodRoute({
        querystring: artifactListQuerySchema,
        response: { 200: artifactListSchema },
        tags: ['artifacts'],
      }),
    },
    async (request) => ({ artifacts: app.catalog.listArtifacts(request.query) }),
  );

  routes.get(
    '/api/artifacts/:id/file',
    {
      schema: zodRoute({
        params: idParamsSchema,
        summary: 'The artifact file (PNG image or LoRA)',
        tags: ['artifacts'],
      }),
    },
    async (request, reply) => {
      const artifact = app.catalog.getArtifact(request.params.id);
      const path = app.catalog.artifactFilePath(artifact.id);
      if (artifact.kind === 'lora') {
        reply
          .type('application/octet-stream')
          .header('content-disposition', `attachment; filename="${artifact.name}.safetensors"`);
      } else reply.type('image/png');
      return reply.send(createReadStream(path));
    },
  );

  routes.get(
    '/api/loras/:id/download',
    {
      schema: zodRoute({
        params: idParamsSchema,
        querystring: loraDownloadQuerySchema,
        response: { 404: errorResponseSchema },
        summary: 'Download a LoRA: kohya / WebUI format (default) or diffusers',
        tags: ['loras'],
      }),
    },
    async (request, reply) => {
      const lora = getLora(request.params.id);
      const path = app.catalog.artifactFilePath(lora.id);
      let file = path;
      if (request.query.format === 'diffusers') {
        file = `${path.replace(/\.safetensors$/, '')}.diffusers.safetensors`;
        if (!existsSync(file)) await options.loraTools.convertToDiffusers(path, file);
      }
      const suffix = request.query.format === 'diffusers' ? '.diffusers' : '';
      return reply
        .type('application/octet-stream')
        .header('content-disposition', `attachment; filename="${lora.name}${suffix}.safetensors"`)
        .send(createReadStream(file));
    },
  );

  routes.get(
    '/api/loras/:id/inspect',
    {
      schema: zodRoute({
        params: idParamsSchema,
        response: { 200: loraInspectSchema, 404: errorResponseSchema },
        tags: ['loras'],
      }),
    },
    async (request) => {
      const lora = getLora(request.params.id);
      const character = app.catalog.getCharacter(lora.characterId);
      const inspect = await options.loraTools.inspect(app.catalog.artifactFilePath(lora.id));
      return { lora, inspect, snippet: a1111Snippet(lora.name, character.trigger) };
    },
  );
}
