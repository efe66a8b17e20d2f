// src/jobs/runners/prep-runner.test.ts — a prep manifest becomes dataset items (stage images under the
// job folder, the upload as the original) and skipped files with their reasons.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sceneCrop } from '../../../test/helpers/manifest-scene.js';
import { erasedCharacterWarning } from '../../prep/erased-character.js';
import type { Manifest } from '../../schemas/manifest.js';
import {
  cropWarningLines,
  datasetFromManifest,
  prepFileMessage,
  prepSummaryMessage,
  stageInput,
} from './prep-runner.js';
import { loraNameFor } from './train-runner.js';

const box = { x: 0, y: 0, width: 10, height: 10 };
const manifest = {
  files: [
    {
      source: '/data/jobs/j1/inputs/001-a.png',
      status: 'ok',
      reason: null,
      reasonCode: null,
      crops: [
        {
          image: '10_sks girl/001-a.png',
          captionFile: '10_sks girl/001-a.txt',
          caption: 'sks, girl',
          characterBox: box,
          cropBox: box,
          dhash: '0123456789abcdef',
          warnings: ['quality warning: text removal erased 12 % of the character'],
        },
      ],
      rejected: [{ characterBox: box, reason: 'too small (8 px)' }],
      timingsMs: {},
      stages: {
        textRemoved: 'stages/a/text-removed.png',
        characterMask: 'stages/a/mask.png',
        crop: ['stages/a/crop-0.png'],
      },
    },
    {
      source: '/data/jobs/j1/inputs/002-b.png',
      status: 'skipped',
      reason: 'blank page',
      reasonCode: 'blank',
      crops: [],
      rejected: [],
      timingsMs: {},
    },
  ],
} as unknown as Manifest;

describe('datasetFromManifest', () => {
  it('maps crops to items with their stages and quality warnings and keeps every skip reason', () => {
    const uploads: Record<string, { name: string; storedPath: string }> = {
      '/data/jobs/j1/inputs/001-a.png': { name: 'a.png', storedPath: 'characters/c/uploads/u1.png' },
      '/data/jobs/j1/inputs/002-b.png': { name: 'b.png', storedPath: 'characters/c/uploads/u2.png' },
    };
    const { items, skipped } = datasetFromManifest(manifest, 'jobs/j1/dataset', (source) => uploads[source]);
    expect(items).toEqual([
      {
        key: '001-a',
        source: 'a.png',
        imagePath: 'jobs/j1/dataset/10_sks girl/001-a.png',
        caption: 'sks, girl',
        stages: {
          original: 'characters/c/uploads/u1.png',
          textRemoved: 'jobs/j1/dataset/stages/a/text-removed.png',
          mask: 'jobs/j1/dataset/stages/a/mask.png',
          crop: 'jobs/j1/dataset/stages/a/crop-0.png',
        },
        warnings: ['quality warning: text removal erased 12 % of the character'],
        panel: null,
      },
    ]);
    expect(skipped).toEqual([
      { source: 'a.png', status: 'rejected crop', reason: 'too small (8 px)' },
      { source: 'b.png', status: 'skipped', reason: 'blank page' },
    ]);
  });
});

describe('datasetFromManifest: skip reasons name the uploads', () => {
  it('a near-duplicate names the upload its twin was cut from, not the job files (before: "013-jpeg-named.jpg: near-duplicate of 10_prb girl/001-orient6.png")', () => {
    const crop = {
      image: '10_prb girl/001-orient6.png',
      captionFile: '10_prb girl/001-orient6.txt',
      caption: 'prb, girl',
      characterBox: box,
      cropBox: box,
      dhash: '0123456789abcdef',
      warnings: [],
    };
    const duplicate = 'near-duplicate of 10_prb girl/001-orient6.png (mean colour difference 1.2/255)';
    const twins = {
      files: [
        { ...manifest.files[0], source: '/j/inputs/001-orient6.png', crops: [crop], rejected: [] },
        {
          ...manifest.files[0],
          source: '/j/inputs/013-jpeg-named.jpg',
          status: 'skipped',
          reason: `013-jpeg-named.jpg: ${duplicate}`,
          reasonCode: 'near-duplicate',
          crops: [],
          rejected: [{ characterBox: box, reason: duplicate }],
        },
      ],
    } as unknown as Manifest;
    const uploads: Record<string, { name: string; storedPath: string }> = {
      '/j/inputs/001-orient6.png': { name: 'orient6.jpg', storedPath: 'u/1.jpg' },
      '/j/inputs/013-jpeg-named.jpg': { name: 'jpeg-named.png', storedPath: 'u/13.jpg' },
    };
    const { skipped } = datasetFromManifest(twins, 'jobs/j', (source) => uploads[source]);
    expect(skipped).toEqual([
      {
        source: 'jpeg-named.png',
        status: 'skipped',
        reason: 'near-duplicate of orient6.jpg (mean colour difference 1.2/255)',
      },
    ]);
  });
});

describe('datasetFromManifest on a webtoon strip', () => {
  it("gives each panel's crop its panel's number and box (the review showed the whole strip for each)", () => {
    const panels = [
      { x: 0, y: 0, width: 800, height: 2000 },
      { x: 0, y: 2400, width: 800, height: 2200 },
    ];
    const crop = (name: string, panel: number) => sceneCrop(name, { characterBox: box, cropBox: box, panel });
    const strip = {
      files: [
        {
          ...manifest.files[0],
          panels,
          crops: [crop('001-ep1-p01', 1), crop('001-ep1-p02', 2)],
          rejected: [{ characterBox: box, panel: 2, reason: 'too small (8 px)' }],
        },
      ],
    } as unknown as Manifest;
    const upload = { name: 'ep1.png', storedPath: 'characters/c/uploads/u1.png' };
    const { items, skipped } = datasetFromManifest(strip, 'jobs/j1/dataset', () => upload);
    expect(items.map((item) => [item.key, item.source, item.panel])).toEqual([
      ['001-ep1-p01', 'ep1.png', { index: 1, box: panels[0] }],
      ['001-ep1-p02', 'ep1.png', { index: 2, box: panels[1] }],
    ]);
    // a crop rejected in panel 2 is listed with its panel, as the items are (before: "ep1.png" alone)
    expect(skipped).toEqual([
      { source: 'ep1.png, panel 2', status: 'rejected crop', reason: 'too small (8 px)' },
    ]);
  });
});

describe('datasetFromManifest: a near-duplicate of a panel names that panel', () => {
  it('says "near-duplicate of page.png, panel 1" (before: "near-duplicate of page.png", the panel lost)', () => {
    const kept = sceneCrop('001-page-p01', { panel: 1 });
    const page = {
      files: [
        {
          ...manifest.files[0],
          source: '/j/inputs/001-page.png',
          panels: [box, box, box],
          crops: [kept],
          rejected: [
            {
              characterBox: box,
              panel: 3,
              reason: `near-duplicate of ${kept.image} (mean colour difference 0.4/255)`,
            },
          ],
        },
      ],
    } as unknown as Manifest;
    const upload = { name: 'page.png', storedPath: 'u/1.png' };
    const { skipped } = datasetFromManifest(page, 'jobs/j', () => upload);
    expect(skipped).toEqual([
      {
        source: 'page.png, panel 3',
        status: 'rejected crop',
        reason: 'near-duplicate of page.png, panel 1 (mean colour difference 0.4/255)',
      },
    ]);
  });
});

describe('a text-removal warning on the web', () => {
  it('points at the row\'s text removed image, not the job folder\'s path (before: "check stages/001-page/text-removed.png")', () => {
    const warning = erasedCharacterWarning(0.15, box, 'stages/001-page/text-removed.png') ?? '';
    expect(warning).toContain('check stages/001-page/text-removed.png');
    const page = {
      files: [
        { ...manifest.files[0], crops: [sceneCrop('001-page', { warnings: [warning] })], rejected: [] },
      ],
    } as unknown as Manifest;
    const upload = { name: 'page.png', storedPath: 'u/1.png' };
    const [item] = datasetFromManifest(page, 'jobs/j', () => upload).items;
    const said = warning.replace('check stages/001-page/text-removed.png', '');
    expect(item?.warnings).toEqual([`${said}see the row's text removed image`]);
    expect(cropWarningLines(page, () => 'page.png')).toEqual([
      `page.png: ${said}see its text removed image on the Dataset page`,
    ]);
    // without stage images the warning says to check the crop, as it was
    const plain = erasedCharacterWarning(0.15, box) ?? '';
    expect(plain).toMatch(/check the crop$/);
    const noStages = { files: [{ ...page.files[0], crops: [sceneCrop('001-page', { warnings: [plain] })] }] };
    expect(cropWarningLines(noStages as unknown as Manifest, () => 'page.png')).toEqual([
      `page.png: ${plain}`,
    ]);
  });
});

describe('prep job warnings', () => {
  it("logs each crop's quality warning under the upload's name", () => {
    const names: Record<string, string> = { '/data/jobs/j1/inputs/001-a.png': 'a.png' };
    expect(cropWarningLines(manifest, (source) => names[source])).toEqual([
      'a.png: quality warning: text removal erased 12 % of the character',
    ]);
    // no upload known: the file's own name
    expect(cropWarningLines(manifest, () => undefined)).toEqual([
      '001-a.png: quality warning: text removal erased 12 % of the character',
    ]);
  });

  it("counts a file's quality warnings in its status line as it finishes, only when there are any", () => {
    const warned = {
      status: 'ok' as const,
      reason: null,
      warnings: ['quality warning: a', 'quality warning: b'],
    };
    expect(prepFileMessage('a.png', warned)).toBe('a.png: ok, 2 quality warnings');
    expect(prepFileMessage('a.png', { ...warned, warnings: [] })).toBe('a.png: ok');
    expect(prepFileMessage('b.png', { status: 'skipped', reason: 'no character found', warnings: [] })).toBe(
      'b.png: skipped (no character found)',
    );
  });

  it("counts the quality warnings in the job's last status line, only when there are any", () => {
    const summary: Manifest['summary'] = { files: 2, ok: 1, skipped: 1, error: 0, crops: 1, warnings: 1 };
    expect(prepSummaryMessage(summary)).toBe(
      '1 crop from 2 screenshots (1 ok, 1 skipped, 0 failed), 1 quality warning (listed below)',
    );
    expect(prepSummaryMessage({ ...summary, crops: 3, warnings: 2 })).toBe(
      '3 crops from 2 screenshots (1 ok, 1 skipped, 0 failed), 2 quality warnings (listed below)',
    );
    expect(prepSummaryMessage({ ...summary, warnings: 0 })).toBe(
      '1 crop from 2 screenshots (1 ok, 1 skipped, 0 failed)',
    );
  });
});

describe('loraNameFor', () => {
  it('makes an ASCII name from the character and the job id', () => {
    expect(loraNameFor('Mina Kim', '3f2a9c1d-0000-4000-8000-000000000000')).toBe('mina_kim_3f2a9c1d');
    expect(loraNameFor('미나', 'abcdef12-3456')).toBe('lora_abcdef12');
    expect(loraNameFor('Ünïcode Zoë', 'abcdef12-3456')).toBe('unicode_zoe_abcdef12');
  });
});

describe('stageInput', () => {
  it('names the screenshot whose file was deleted on disk and the Screenshots page fix (the tab the Upload page shows) (it was an internal error)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-stage-'));
    try {
      const staged = stageInput(join(dir, 'u1.png'), join(dir, '001-plain.png'), 'plain.png');
      await expect(staged).rejects.toMatchObject({
        code: 'TL_ERR_INPUT_NOT_FOUND',
        message:
          "the screenshot plain.png is missing from the server's data folder (its file was deleted). Remove it on the Screenshots page and upload it again.",
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
