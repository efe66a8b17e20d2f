// src/jobs/dataset-listed.ts — whether a dataset version is still listed (not deleted): a train job's resume and
// its runner decide from it whether its training copy (jobs/<id>/train-data) can be made again or must be kept.
import { ToonloraError } from '../errors.js';
import type { CatalogStore } from './catalog-store.js';

/** Whether dataset version `datasetId` is listed; false once it was deleted (any other store error is thrown). */
export function datasetListed(catalog: Pick<CatalogStore, 'getDataset'>, datasetId: string): boolean {
  try {
    catalog.getDataset(datasetId);
    return true;
  } catch (error) {
    if (error instanceof ToonloraError && error.code === 'TL_ERR_NOT_FOUND') return false;
    throw error;
  }
}
