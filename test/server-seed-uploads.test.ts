// test/server-seed-uploads.test.ts — the seedUploads test helper stores uploads a user could upload: prep reads each
// (before, it wrote 8x8 PNGs, which the upload and prep now refuse as under 64 px), at the size the catalog records.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../src/prep/decode.js';
import { queueOnlyApps, seedUploads } from './helpers/server-fixtures.js';

const makeApp = queueOnlyApps('seed-uploads');

describe('seedUploads', () => {
  it('stores images prep accepts, as large as the catalog says', async () => {
    const app = await makeApp();
    const { characterId, storedPaths } = await seedUploads(app, ['a', 'b']);
    const images = app.catalog.listImages(characterId);
    expect(images.map((image) => image.originalName)).toEqual(['a.png', 'b.png']);
    for (const [i, storedPath] of storedPaths.entries()) {
      const decoded = await decodeImage(join(app.dataDir, storedPath), { maxPixels: 1_000_000 });
      expect([decoded.width, decoded.height]).toEqual([images[i]?.width, images[i]?.height]);
    }
  });
});
