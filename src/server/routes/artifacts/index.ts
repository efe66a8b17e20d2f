// src/server/routes/artifacts/index.ts — LoRAs, training samples and generated images: list, file,
// LoRA upload (a LoRA made elsewhere: src/jobs/upload-lora.ts), LoRA download (kohya by default; kohya fp16,
// diffusers and PEFT converted on first request and kept: lora-downloads.ts), LoRA inspect.
import type { FastifyInstance } from 'fastify';
import { ToonloraError } from '../../../errors.js';
import { a1111Snippet, webuiLoraName } from '../../../lora/webui-name.js';
import { checkStoredLora } from '../../../jobs/runners/generate-runner.js';
import { LORA_UPLOAD_FIELD, storeUploadedLora } from '../../../jobs/upload-lora.js';
import {
  type Artifact,
  artifactListQuerySchema,
  artifactListSchema,
  artifactSchema,
  errorResponseSchema,
  idParamsSchema,
  loraDownloadQuerySchema,
  loraInspectSchema,
  loraUploadQuerySchema,
  type UploadLimits,
  uploadLimitsSchema,
} from '../../../schemas/api.js';
import { loraDownload } from '../../lora-downloads.js';
import type { LoraTools } from '../../lora-tools.js';
import { type ZodRouteTypes, zodRoute } from '../../route-schema.js';
import { checkStoredFile, openStoredFile } from '../../stored-file.js';

/**
 * A Content-Disposition that downloads as `fileName`: an ASCII `filename` (other characters, quotes and
 * backslashes as `_`) for old clients, and the name itself as RFC 5987 `filename*` (an uploaded LoRA may be
 * named `ミナ.safetensors`; a raw non-ASCII header value would fail the reply).
 */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** The upload form for /openapi.json: one `file` part, with the size limit in force. */
function loraUploadForm(maxLoraBytes: number) {
  return {
    type: 'object',
    required: [LORA_UPLOAD_FIELD],
    properties: {
      [LORA_UPLOAD_FIELD]: {
        type: 'string',
        format: 'binary',
        description: `An SD1.5 LoRA or LyCORIS LoKr .safetensors (kohya / WebUI, diffusers or PEFT keys), up to ${maxLoraBytes} bytes.`,
      },
    },
  };
}

/** `an image`, `a sample`: the kind with its article. */
export function withArticle(word: string): string {
  return `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}

/**
 * The API's error for a LoKr asked for in a format it has none in (convert's `lokrDiffusersError`, which names the
 * stored file and convert's `--to kohya`): the LoRA's name and the formats the download does have; else undefined.
 */
export function lokrWithoutFormat(error: unknown, name: string): ToonloraError | undefined {
  if (!(error instanceof ToonloraError && error.details.algorithm === 'lokr')) return undefined;
  const format = error.details.to;
  if (typeof format !== 'string') return undefined;
  return new ToonloraError(
    error.code,
    `LoRA "${name}" is a LoKr (LyCORIS Kronecker-product adapter): there is no ${format} format of it (diffusers' SD1.5 loader has none). Download it as kohya (format=kohya or kohya-fp16), which the Generate page, the WebUI and ComfyUI load.`,
    { details: { name, algorithm: 'lokr', format } },
  );
}

/**
 * The API's error for a DoRA whose magnitude is stored per input column (LyCORIS wd_on_out=False) asked for as
 * diffusers or PEFT, which store it per output row (convert-plan.ts, whose words name the stored file and convert's
 * `--to kohya`): the LoRA's name and the download it does have; else undefined.
 */
export function doraWithoutFormat(error: unknown, name: string, format: string): ToonloraError | undefined {
  if (!(error instanceof ToonloraError && error.details.dora === 'input-columns')) return undefined;
  return new ToonloraError(
    error.code,
    `LoRA "${name}" is a DoRA whose magnitude is stored per input column (LyCORIS wd_on_out=False): there is no ${format} format of it (diffusers and PEFT store it per output row). Download it as kohya (format=kohya or kohya-fp16), which the WebUI and ComfyUI load.`,
    { details: { name, dora: 'input-columns', format } },
  );
}

export default async function artifactRoutes(
  app: FastifyInstance,
  options: { loraTools: LoraTools; limits?: UploadLimits },
): Promise<void> {
  const maxLoraBytes = (options.limits ?? uploadLimitsSchema.parse({})).maxLoraBytes;
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
      const what = `the stored ${artifact.kind === 'lora' ? 'LoRA' : 'image'} ${artifact.name}`;
      const file = await openStoredFile(path, what, request.log);
      if (artifact.kind === 'lora') {
        reply
          .type('application/octet-stream')
          .header(
            'content-disposition',
            attachmentDisposition(`${webuiLoraName(artifact.name)}.safetensors`),
          );
      } else reply.type('image/png');
      return reply.send(file);
    },
  );

  routes.post(
    '/api/loras',
    {
      schema: zodRoute({
        querystring: loraUploadQuerySchema,
        multipartBody: loraUploadForm(maxLoraBytes),
        response: {
          200: artifactSchema,
          201: artifactSchema,
          400: errorResponseSchema,
          404: errorResponseSchema,
          413: errorResponseSchema,
          415: errorResponseSchema,
          422: errorResponseSchema,
        },
        summary:
          'Upload a LoRA made elsewhere for a character (multipart, field "file"): stored as one of the character\'s LoRAs when inspect finds an SD1.5 LoRA generate can use (201), else 422 with inspect\'s reason; the same bytes uploaded before answer 200 with that LoRA and store nothing',
        tags: ['loras'],
      }),
    },
    async (request, reply) => {
      const character = app.catalog.getCharacter(request.query.characterId);
      const part = await request.file({ limits: { fileSize: maxLoraBytes, files: 1 } });
      const { artifact, duplicate } = await storeUploadedLora(part, {
        catalog: app.catalog,
        characterId: character.id,
        maxBytes: maxLoraBytes,
        check: options.loraTools.checkUpload,
        findUploaded: (sha256) =>
          app.catalog
            .listArtifacts({ characterId: character.id, kind: 'lora' })
            .find((lora) => lora.meta.sha256 === sha256),
      });
      return reply.status(duplicate ? 200 : 201).send(artifact);
    },
  );

  routes.get(
    '/api/loras/:id/download',
    {
      schema: zodRoute({
        params: idParamsSchema,
        querystring: loraDownloadQuerySchema,
        // 422: a format the LoRA has none of (a LoKr asked as diffusers, a DoRA per input column as diffusers / PEFT)
        response: { 404: errorResponseSchema, 422: errorResponseSchema },
        summary:
          'Download a LoRA: kohya / WebUI format (default), kohya in fp16, diffusers, or a PEFT adapter folder as a zip',
        tags: ['loras'],
      }),
    },
    async (request, reply) => {
      const lora = getLora(request.params.id);
      const path = app.catalog.artifactFilePath(lora.id);
      // an uploaded LoRA is stored as it came (meta.format: kohya, diffusers or peft keys); a trained one is kohya
      const storedFormat = typeof lora.meta.format === 'string' ? lora.meta.format : 'kohya';
      checkStoredFile(path, `the stored LoRA ${lora.name}`, request.log);
      const download = await loraDownload(
        { path, name: lora.name, storedFormat },
        request.query.format,
        options.loraTools,
      ).catch((error: unknown) => {
        throw (
          lokrWithoutFormat(error, lora.name) ??
          doraWithoutFormat(error, lora.name, request.query.format) ??
          error
        );
      });
      return reply
        .type(download.contentType)
        .header('content-disposition', attachmentDisposition(download.fileName))
        .send(download.body);
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
      const path = app.catalog.artifactFilePath(lora.id);
      // a file deleted on disk: the web app's fix, not inspect's "Give a .safetensors file or a PEFT adapter folder"
      checkStoredLora(path, lora.name);
      const inspect = await options.loraTools.inspect(path);
      // a LoRA made elsewhere was trained on its own trigger words, when its metadata names them
      const trigger = typeof lora.meta.trigger === 'string' ? lora.meta.trigger : character.trigger;
      return { lora, inspect, snippet: a1111Snippet(lora.name, trigger) };
    },
  );
}
