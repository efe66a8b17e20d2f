// src/server/routes/datasets/index.ts — dataset versions (a prep job's output): list, review detail
// (stage images per item, a strip panel's crop showing its panel's region, skipped files with reasons), caption
// edit / exclude, exclude / re-include of several items at once, stage files, kohya zip, and the delete of one
// version (its rows, then its folder: dataset-delete.ts).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ToonloraError } from '../../../errors.js';
import { deleteDataset } from '../../../jobs/catalog/datasets.js';
import { resolveDataPath } from '../../../jobs/data-path.js';
import { datasetImagesWhat, exportImageFiles, kohyaZipStream } from '../../../jobs/kohya-export.js';
import {
  datasetDetailSchema,
  datasetItemParamsSchema,
  datasetItemPatchSchema,
  datasetItemsBulkPatchSchema,
  datasetListSchema,
  errorResponseSchema,
  idParamsSchema,
} from '../../../schemas/api.js';
import { imageMimeForPath } from '../../../vision/image-sniff.js';
import { type ZodRouteTypes, zodRoute } from '../../route-schema.js';
import { reportInternalError } from '../../plugins/errors.js';
import { checkStoredFiles, openStoredFile } from '../../stored-file.js';
import { captionVersion, checkCaptionVersion } from './caption-version.js';
import { removeDatasetFolder } from './dataset-delete.js';
import { panelImagePng, STRIP_STAGES } from './panel-image.js';

const STAGES = ['original', 'textRemoved', 'mask', 'crop', 'image'] as const;
const stageParamsSchema = datasetItemParamsSchema.extend({ stage: z.enum(STAGES) });

export default async function datasetRoutes(app: FastifyInstance): Promise<void> {
  const routes = app.withTypeProvider<ZodRouteTypes>();
  const itemUrl = (datasetId: string, key: string, stage: string) =>
    `/api/datasets/${datasetId}/items/${encodeURIComponent(key)}/${stage}`;

  const detail = (id: string) => {
    const dataset = app.catalog.getDataset(id);
    const items = app.catalog.listDatasetItems(id).map((item) => ({
      key: item.key,
      source: item.source,
      panel: item.panel,
      caption: item.caption,
      captionVersion: captionVersion(item.caption),
      excluded: item.excluded,
      warnings: item.warnings,
      stages: {
        original: item.stages.original ? itemUrl(id, item.key, 'original') : null,
        textRemoved: item.stages.textRemoved ? itemUrl(id, item.key, 'textRemoved') : null,
        mask: item.stages.mask ? itemUrl(id, item.key, 'mask') : null,
        crop: itemUrl(id, item.key, 'image'),
      },
    }));
    return { ...dataset, items, skipped: app.catalog.datasetSkipped(id) };
  };

  routes.get(
    '/api/characters/:id/datasets',
    {
      schema: zodRoute({ params: idParamsSchema, response: { 200: datasetListSchema }, tags: ['datasets'] }),
    },
    async (request) => {
      app.catalog.getCharacter(request.params.id);
      return { datasets: app.catalog.listDatasets(request.params.id) };
    },
  );

  routes.get(
    '/api/datasets/:id',
    {
      schema: zodRoute({
        params: idParamsSchema,
        response: { 200: datasetDetailSchema, 404: errorResponseSchema },
        tags: ['datasets'],
      }),
    },
    async (request) => detail(request.params.id),
  );

  routes.patch(
    '/api/datasets/:id/items/:key',
    {
      schema: zodRoute({
        params: datasetItemParamsSchema,
        body: datasetItemPatchSchema,
        response: {
          200: datasetDetailSchema,
          400: errorResponseSchema,
          404: errorResponseSchema,
          409: errorResponseSchema,
        },
        summary:
          'Edit a caption, exclude or re-include an item. With captionVersion, a caption changed since is refused (409); without it, the caption is overwritten',
        tags: ['datasets'],
      }),
    },
    async (request) => {
      const { id, key } = request.params;
      // check and write with no await between: no other request's write can come in between
      checkCaptionVersion({ datasetId: id, key }, app.catalog.getDatasetItem(id, key).caption, request.body);
      const { captionVersion: _version, ...patch } = request.body;
      app.catalog.updateDatasetItem(id, key, patch);
      return detail(request.params.id);
    },
  );

  routes.patch(
    '/api/datasets/:id/items',
    {
      schema: zodRoute({
        params: idParamsSchema,
        body: datasetItemsBulkPatchSchema,
        response: { 200: datasetDetailSchema, 400: errorResponseSchema, 404: errorResponseSchema },
        summary:
          'Exclude or re-include several items at once (all or none: a key the dataset does not have is a 404 and nothing changes)',
        tags: ['datasets'],
      }),
    },
    async (request) => {
      const { keys, excluded } = request.body;
      app.catalog.setDatasetItemsExcluded(request.params.id, keys, excluded);
      return detail(request.params.id);
    },
  );

  routes.get(
    '/api/datasets/:id/items/:key/:stage',
    {
      schema: zodRoute({
        params: stageParamsSchema,
        summary:
          "One stage image of an item (PNG; the original in its uploaded format). For a crop from a webtoon strip panel (the item's `panel`), the original, text removed and mask are that panel's region of the strip, as PNG",
        tags: ['datasets'],
      }),
    },
    async (request, reply) => {
      const { id, key, stage } = request.params;
      const item = app.catalog.getDatasetItem(id, key);
      const rel = stage === 'image' ? item.imagePath : item.stages[stage];
      if (!rel)
        throw new ToonloraError('TL_ERR_NOT_FOUND', `dataset ${id} item ${key}: no ${stage} image was kept.`);
      const path = resolveDataPath(app.dataDir, rel);
      const what = `the ${stage} image of dataset ${id} item ${key}`;
      // The original keeps the upload's format (a .jpg stays JPEG); later stages are PNG.
      const file = await openStoredFile(path, what, request.log);
      if (item.panel && STRIP_STAGES.has(stage)) {
        // a strip's stage images hold every panel: send this crop's panel only (not a 12000 px tall sliver)
        file.destroy();
        const png = await panelImagePng(path, item.panel, what);
        if (png) return reply.type('image/png').send(png);
        return reply.type(imageMimeForPath(rel)).send(await openStoredFile(path, what, request.log));
      }
      return reply.type(imageMimeForPath(rel)).send(file);
    },
  );

  routes.get(
    '/api/datasets/:id/zip',
    {
      schema: zodRoute({
        params: idParamsSchema,
        summary: 'The dataset as a zip in kohya layout',
        tags: ['datasets'],
      }),
    },
    async (request, reply) => {
      const dataset = app.catalog.getDataset(request.params.id);
      const items = app.catalog.listDatasetItems(dataset.id);
      // every image is checked before the first byte: a missing one would otherwise cut the zip short
      await checkStoredFiles(
        exportImageFiles(app.dataDir, items),
        datasetImagesWhat(dataset.id),
        request.log,
      );
      const zip = kohyaZipStream(app.dataDir, items);
      // one gone after the check fails the stream once headers are out: fastify then cuts the reply short
      zip.once('error', (error) => {
        if (reply.raw.headersSent) reportInternalError(app, `GET /api/datasets/${dataset.id}/zip`, error);
      });
      return reply
        .type('application/zip')
        .header('content-disposition', `attachment; filename="dataset-${dataset.id.slice(0, 8)}.zip"`)
        .send(zip);
    },
  );

  routes.delete(
    '/api/datasets/:id',
    {
      schema: zodRoute({
        params: idParamsSchema,
        noContent: true,
        response: { 404: errorResponseSchema, 409: errorResponseSchema },
        summary:
          'Deletes a dataset version: its items (captions, exclusions) and its folder (crops, stage images). The prep job that made it and the LoRAs trained on it stay. 409 while a queued or running train job trains on it',
        tags: ['datasets'],
      }),
    },
    async (request, reply) => {
      const { id } = request.params;
      // the row first (no await from the check of the train jobs to it: a train job sent meanwhile either is seen
      // there or finds the version gone): a folder that stays is only disk space, named in the server's log
      const dir = deleteDataset(app.catalog.db, id);
      await removeDatasetFolder(app.dataDir, id, dir, app.log);
      return reply.code(204).send();
    },
  );
}
