// test/helpers/strip-dataset.ts — a dataset made from one tall webtoon strip (800 x 12000, five panels of their own
// colour between white gutters), as prep stores it: five crops, each with its panel, whose original / text removed /
// mask stage images are the whole strip. For the server and browser tests of the strip review.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { encodePngBuffer } from '../../src/vision/sharp-io.js';
import { solidPng } from './server-fixtures.js';

export const STRIP_WIDTH = 800;
export const STRIP_HEIGHT = 12000;
/** Panel i (1-based) starts at 200 + (i - 1) * 2400 and is 2000 + (i - 1) * 50 px tall. */
export const STRIP_PANELS = [0, 1, 2, 3, 4].map((i) => ({
  x: 0,
  y: 200 + i * 2400,
  width: STRIP_WIDTH,
  height: 2000 + i * 50,
}));
/** Each panel's flat colour (the gutters are white). */
export const PANEL_COLOURS: ReadonlyArray<[number, number, number]> = [
  [200, 40, 40],
  [40, 200, 40],
  [40, 40, 200],
  [200, 200, 40],
  [200, 40, 200],
];

async function stripPng(): Promise<Buffer> {
  const data = new Uint8Array(STRIP_WIDTH * STRIP_HEIGHT * 3).fill(255);
  for (const [i, panel] of STRIP_PANELS.entries()) {
    const colour = PANEL_COLOURS[i] as [number, number, number];
    for (let y = panel.y; y < panel.y + panel.height; y++)
      for (let x = 0; x < STRIP_WIDTH; x++) data.set(colour, (y * STRIP_WIDTH + x) * 3);
  }
  return encodePngBuffer({ width: STRIP_WIDTH, height: STRIP_HEIGHT, data });
}

/** Seeds a character and the strip's dataset (keys `004-webtoon-ep1-p01` … `p05`, source `webtoon-ep1.png`). */
export async function seedStripDataset(app: FastifyInstance) {
  const character = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
  const prep = app.jobStore.createJob('prep', character.id, {});
  app.jobStore.transition(prep.id, 'running');
  app.jobStore.transition(prep.id, 'succeeded', { result: {} });
  const dir = `jobs/${prep.id}/dataset`;
  mkdirSync(join(app.dataDir, dir, 'stages', 'ep1'), { recursive: true });
  const strip = await stripPng();
  for (const name of ['original.png', 'text-removed.png', 'character-mask.png'])
    writeFileSync(join(app.dataDir, dir, 'stages', 'ep1', name), strip);
  const crop = await solidPng(64, 64);
  const items = STRIP_PANELS.map((box, i) => {
    const key = `004-webtoon-ep1-p0${i + 1}`;
    writeFileSync(join(app.dataDir, dir, `${key}.png`), crop);
    return {
      key,
      source: 'webtoon-ep1.png',
      imagePath: `${dir}/${key}.png`,
      caption: 'mina_tl, girl',
      stages: {
        original: `${dir}/stages/ep1/original.png`,
        textRemoved: `${dir}/stages/ep1/text-removed.png`,
        mask: `${dir}/stages/ep1/character-mask.png`,
        crop: null,
      },
      panel: { index: i + 1, box },
    };
  });
  const dataset = app.catalog.createDataset({
    characterId: character.id,
    jobId: prep.id,
    dir,
    items,
    skipped: [],
  });
  return { character, dataset };
}
