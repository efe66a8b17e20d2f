// test/prep-output-panel-guard.test.ts — a black narration box bigger than the character is not taken for it,
// and a page of only empty panels is cut into them and skipped, saying why (set-up in helpers/prep-output-setup.ts).
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { runPrep } from '../src/prep/pipeline.js';
import { prepOutputFixture } from './helpers/prep-output-setup.js';

const { root, emptyCache, drawn } = prepOutputFixture();

describe('runPrep output folder checks', () => {
  it('a black narration box bigger than the character is not taken for it; a page of only empty panels is cut into them and skipped, saying why', async () => {
    const box = join(root, 'black-box.png');
    await sharp(drawn.panel)
      .extend({ left: 700, background: '#ffffff' })
      .composite([
        {
          input: { create: { width: 600, height: 420, channels: 3, background: '#000000' } },
          left: 40,
          top: 40,
        },
      ])
      .png()
      .toFile(box);
    const page = join(root, 'panels-page.png');
    // a white page with 60 px margins and two framed panels of flat grey tone: nothing to crop
    const frame = (top: number) => ({
      input: { create: { width: 980, height: 700, channels: 3 as const, background: '#000000' } },
      left: 60,
      top,
    });
    const inner = (top: number) => ({
      input: { create: { width: 968, height: 688, channels: 3 as const, background: '#c8c8c8' } },
      left: 66,
      top: top + 6,
    });
    await sharp({ create: { width: 1100, height: 1600, channels: 3, background: '#ffffff' } })
      .composite([frame(60), inner(60), frame(820), inner(820)])
      .png()
      .toFile(page);
    const run = await runPrep({ inputs: [box, page], outDir: join(root, 'panel-guard'), cache: emptyCache });
    const [boxed, paged] = run.manifest.files;
    expect(boxed?.status).toBe('ok');
    // the crop is the character's (right of the box), not the black box at 40,40
    expect(boxed?.crops[0]?.characterBox.x).toBeGreaterThan(700);
    // the page is cut into its two framed panels (page-panels.ts), each flat tone inside: no character in either
    expect(paged).toMatchObject({ status: 'skipped', reasonCode: 'no-character' });
    expect(paged?.panels).toHaveLength(2);
    expect(paged?.reason).toMatch(/no character found \(the classic mask is empty/);
  }, 60_000);
});
