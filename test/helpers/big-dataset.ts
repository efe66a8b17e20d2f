// test/helpers/big-dataset.ts — a character with one dataset of many crops (default 200: a user's 40
// screenshots with several figures each), written straight to the catalog with real PNG files for every
// stage, for the Dataset page's browser test and bench/dataset-page.ts. Every 5th item has a quality warning,
// every 4th a caption with nothing besides the trigger and class (a caption warning).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { encodePngBuffer } from '../../src/vision/sharp-io.js';

/** The item keys of a big dataset, in the catalog's order (`crop-000` ...). */
export const bigDatasetKey = (index: number): string => `crop-${String(index).padStart(3, '0')}`;

/** Not server-fixtures' solidPng: that module needs vitest, and the bench runs under plain tsx. */
function solidPng(size: number, rgb: [number, number, number]): Promise<Buffer> {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return encodePngBuffer({ width: size, height: size, data });
}

/** A character (named `name`: names are unique; trigger `mina_tl`, class `girl`) with a succeeded prep job
 * and its empty dataset folder (`jobs/<id>/10_mina_tl girl`, relative to the data dir), as a prep leaves them
 * before its crops are written. Shared with server-fixtures' seedDataset. */
export function finishedPrep(app: FastifyInstance, name: string) {
  const character = app.catalog.createCharacter({ name, trigger: 'mina_tl', classWord: 'girl' });
  const prep = app.jobStore.createJob('prep', character.id, {});
  app.jobStore.transition(prep.id, 'running');
  app.jobStore.transition(prep.id, 'succeeded', { result: {} });
  const folder = `jobs/${prep.id}/10_mina_tl girl`;
  mkdirSync(join(app.dataDir, folder), { recursive: true });
  return { character, prep, folder };
}

export async function seedBigDataset(
  app: FastifyInstance,
  count = 200,
  size = 192,
): Promise<{ characterId: string; datasetId: string }> {
  const { character, prep, folder } = finishedPrep(app, 'Mina');
  const items = [];
  for (let i = 0; i < count; i++) {
    const key = bigDatasetKey(i);
    // distinct files (a browser caches one URL once; each stage of each item is its own request)
    const png = await solidPng(size, [(i * 37) % 256, (i * 11) % 256, 120]);
    const stage = (name: string) => {
      const path = `${folder}/${key}.${name}.png`;
      writeFileSync(join(app.dataDir, path), png);
      return path;
    };
    items.push({
      key,
      source: `shot-${String(Math.floor(i / 5)).padStart(2, '0')}-${key}.png`,
      imagePath: stage('crop'),
      caption: i % 4 === 0 ? 'mina_tl, girl' : `mina_tl, girl, red scarf, panel ${i}, looking left`,
      stages: { original: stage('original'), textRemoved: stage('text'), mask: stage('mask'), crop: null },
      warnings: i % 5 === 0 ? ['text removal erased part of the figure'] : [],
    });
  }
  const dataset = app.catalog.createDataset({
    characterId: character.id,
    jobId: prep.id,
    dir: `jobs/${prep.id}`,
    items,
    skipped: [],
  });
  return { characterId: character.id, datasetId: dataset.id };
}
