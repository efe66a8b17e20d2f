// `toonlora prep` on bad input, through the real CLI: every bad file gets its own status and reason in
// the manifest, the valid files still produce crops, and the exit codes are 0 (some crop), 1 (none)
// and 2 (bad usage).
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { drawPanels, writePanelImages } from '../scripts/draw-panels.js';
import { boxContains } from '../src/prep/crop-box.js';
import { type Manifest, manifestSchema } from '../src/schemas/manifest.js';
import { encodePng } from '../src/vision/sharp-io.js';
import { makeRgb } from './helpers/images.js';
import { pngHeaderOnly } from './helpers/png-header.js';
import { prepFolder } from './helpers/run-cli.js';

const { root, prep } = prepFolder('bad', 240_000);

const inDir = join(root, 'in');
let manifest: Manifest;
let run: ReturnType<typeof prep>;

beforeAll(async () => {
  mkdirSync(inDir, { recursive: true });
  const [panel] = await writePanelImages((await drawPanels()).slice(0, 1), join(root, 'panels'));
  const good = panel as string;
  copyFileSync(good, join(inDir, 'my panel 01.png'));
  copyFileSync(good, join(inDir, '캐릭터 장면.png'));
  writeFileSync(join(inDir, 'empty.png'), '');
  writeFileSync(join(inDir, 'truncated.png'), readFileSync(good).subarray(0, 20_000));
  writeFileSync(join(inDir, 'not-an-image.png'), 'this is a text file, not a PNG\n');
  writeFileSync(join(inDir, 'bomb.png'), pngHeaderOnly(60000, 60000));
  await encodePng(
    makeRgb(8, 8, () => [10, 10, 10]),
    join(inDir, 'tiny.png'),
  );
  await encodePng(
    makeRgb(800, 600, () => [255, 255, 255]),
    join(inDir, 'blank.png'),
  );
  // a 3000x400 panorama: a small outlined figure far left (an oval in the box 200,60 200x300: a filled
  // rectangle would be taken for a panel), nothing else
  await encodePng(
    makeRgb(3000, 400, (x, y) => {
      const r = ((x + 0.5 - 300) / 100) ** 2 + ((y + 0.5 - 210) / 150) ** 2;
      if (r <= 1) return r > 0.92 ? [0, 0, 0] : [200, 90, 90];
      return [250, 250, 250];
    }),
    join(inDir, 'panorama.png'),
  );
  run = prep([inDir, '-o', join(root, 'out'), '--json']);
  manifest = manifestSchema.parse(JSON.parse(run.stdout).manifest);
}, 300_000);

function entry(name: string) {
  const found = manifest.files.find((f) => basename(f.source) === name);
  if (!found) throw new Error(`no manifest entry for ${name}`);
  return found;
}

describe('toonlora prep on bad input', () => {
  it('exits 0 because the valid files still made crops', () => {
    expect(run.status, run.stderr).toBe(0);
    expect(manifest.files).toHaveLength(9);
  });

  it('gives each bad file its own status and reason', () => {
    expect(entry('empty.png')).toMatchObject({
      status: 'error',
      reasonCode: 'empty',
      reason: expect.stringMatching(/empty\.png: the file is empty/),
    });
    expect(entry('truncated.png')).toMatchObject({
      status: 'error',
      reasonCode: 'truncated',
      reason: expect.stringMatching(/truncated\.png: .*truncated or corrupt/),
    });
    expect(entry('not-an-image.png')).toMatchObject({
      status: 'error',
      reasonCode: 'not-an-image',
      reason: expect.stringMatching(
        /not-an-image\.png: it looks like a text file, not an image \(its first line reads "this is a text file/,
      ),
    });
    expect(entry('bomb.png')).toMatchObject({
      status: 'error',
      reasonCode: 'too-many-pixels',
      reason: expect.stringMatching(/60000x60000/),
    });
    expect(entry('tiny.png')).toMatchObject({
      status: 'skipped',
      reasonCode: 'too-small',
      reason: expect.stringMatching(/8x8/),
    });
    expect(entry('blank.png')).toMatchObject({
      status: 'skipped',
      reasonCode: 'no-character',
      reason: expect.stringMatching(/no character found/),
    });
  });

  it('crops the panorama figure and the panels with spaces / non-ASCII names under safe, unique names', () => {
    const panorama = entry('panorama.png');
    expect(panorama.status).toBe('ok');
    // classic segments a shrunk copy: the box is the figure's within a few pixels
    const box = panorama.crops[0]?.characterBox ?? { x: 0, y: 0, width: 0, height: 0 };
    expect(boxContains(box, { x: 200, y: 60, width: 200, height: 300 })).toBe(true);
    expect(box.width * box.height).toBeLessThan(210 * 310);
    const spaced = entry('my panel 01.png');
    expect(spaced.crops[0]?.image).toBe('10_sks girl/my_panel_01.png');
    // the same art twice: the second is a near-duplicate of the first, named in the reason
    const korean = entry('캐릭터 장면.png');
    expect(korean.status).toBe('skipped');
    expect(korean.reason).toMatch(/near-duplicate of 10_sks girl\/my_panel_01\.png/);
    for (const crop of manifest.files.flatMap((f) => f.crops))
      expect(crop.image).toMatch(/^10_sks girl\/[A-Za-z0-9._-]+\.png$/);
  });

  it('prints the per-file reasons on the console without --json, and exits 1 when nothing was cropped', () => {
    const onlyBad = prep([join(inDir, 'empty.png'), join(inDir, 'blank.png'), '-o', join(root, 'out-bad')]);
    expect(onlyBad.status).toBe(1);
    // the file is named once: its path, then the reason without the name again
    expect(onlyBad.stdout).toMatch(/error +in\/empty\.png: the file is empty/);
    expect(onlyBad.stdout).toMatch(/skipped +.*blank\.png: .*no character found/);
    expect(onlyBad.stdout).toMatch(/0 crops from 2 files \(0 ok, 1 skipped, 1 failed\)/);
  });

  it('exits 2 on bad usage', () => {
    const badFlag = prep([inDir, '-o', join(root, 'out-usage'), '--characters', 'some']);
    expect(badFlag.status).toBe(2);
    expect(badFlag.stderr).toMatch(/prep\.characters: .*got "some"/);
    expect(prep(['-o', join(root, 'out-usage')]).status).toBe(2);
    expect(prep([join(root, 'missing-folder'), '-o', join(root, 'out-usage')]).stderr).toMatch(
      /missing-folder: no such file or folder/,
    );
  });
});
