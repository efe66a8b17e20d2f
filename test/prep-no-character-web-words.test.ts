// test/prep-no-character-web-words.test.ts — a file with no character whose largest shape is a box: the manifest's
// reason keeps the CLI's way out (`--segmenter isnet-anime` after `toonlora models pull isnet-anime`), and the server's
// prep job says it in the web app's words (the Upload page's field, the Models page) in its status line and in the
// dataset's skip reason. Before, the web showed the CLI flag and command.
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { cliWordsIn } from '../src/jobs/job-error-hints.js';
import { datasetFromManifest } from '../src/jobs/runners/prep-runner.js';
import { WEB_STAGE_WORDS } from '../src/jobs/web-stage-words.js';
import { type PrepProgress, runPrep } from '../src/prep/pipeline.js';
import { prepOutputRoot } from './helpers/prep-output-setup.js';

const { root, emptyCache } = prepOutputRoot();

describe('no character found in a box: the way out in each side’s words', () => {
  it('the manifest says the CLI flag and pull command; the web job the Upload field and the Models page', async () => {
    const box = join(root, 'box.png');
    await sharp({ create: { width: 800, height: 800, channels: 3, background: '#ffffff' } })
      .composite([
        {
          input: { create: { width: 600, height: 420, channels: 3, background: '#000000' } },
          left: 40,
          top: 40,
        },
      ])
      .png()
      .toFile(box);
    const lines: PrepProgress[] = [];
    const run = await runPrep({
      inputs: [box],
      outDir: join(root, 'out'),
      cache: emptyCache,
      stageWords: WEB_STAGE_WORDS,
      onProgress: (progress) => lines.push(progress),
    });
    const [file] = run.manifest.files;
    expect(file).toMatchObject({ status: 'skipped', reasonCode: 'no-character' });
    expect(file?.reason).toBe(
      'box.png: no character found (the largest shape looks like a panel or box, not a character: crop the panel, or use --segmenter isnet-anime after `toonlora models pull isnet-anime`)',
    );
    const web =
      'box.png: no character found (the largest shape looks like a panel or box, not a character: crop the panel, or use Character cut-out "isnet-anime" after pulling isnet-anime on the Models page)';
    expect(lines.map((line) => line.reason)).toEqual([web]);
    const { skipped } = datasetFromManifest(run.manifest, 'jobs/j/dataset', () => ({
      name: 'box.png',
      storedPath: box,
    }));
    // (the skip reason leaves out the file name its row shows)
    expect(skipped).toEqual([{ source: 'box.png', status: 'skipped', reason: web.replace('box.png: ', '') }]);
    expect(cliWordsIn(web)).toEqual([]);
  }, 120_000);
});
