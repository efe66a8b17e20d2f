// End-to-end runPrep over the synthetic panels (scripts/draw-panels.ts): crops exist and contain the
// ground-truth character, captions start with the trigger, the manifest validates. The model stages resolved
// from a model cache holding the tiny ONNX fixtures, and runPrep's errors and cancel, are prep-pipeline-models.test.ts.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { drawPanels, type SyntheticPanel, writePanelImages } from '../scripts/draw-panels.js';
import { boxContains } from '../src/prep/crop-box.js';
import { type PrepResult, runPrep } from '../src/prep/pipeline.js';
import { manifestSchema } from '../src/schemas/manifest.js';
import { readImageHeader } from '../src/vision/sharp-io.js';
import { emptyModelCache } from './helpers/images.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-prep-'));
const emptyCache = emptyModelCache(root);

let panels: SyntheticPanel[];
let files: string[];
let result: PrepResult;
const messages: string[] = [];
const progress: number[] = [];

beforeAll(async () => {
  panels = await drawPanels();
  files = await writePanelImages(panels, join(root, 'in'));
  result = await runPrep({
    inputs: [join(root, 'in')],
    outDir: join(root, 'out'),
    config: { trigger: 'zyx', classWord: 'girl' },
    saveStages: true,
    cache: emptyCache,
    onMessage: (line) => messages.push(line),
    onProgress: (p) => progress.push(p.done),
  });
}, 180_000);

describe('runPrep on the synthetic panels (classic segmenter, no captioner weights)', () => {
  it('announces the auto choices in one line each', () => {
    expect(messages).toEqual([
      expect.stringMatching(
        /^segmenter: classic \(auto: isnet-anime is not downloaded; `toonlora models pull isnet-anime`/,
      ),
      expect.stringMatching(/^captioner: none \(auto: no captioner weights downloaded/),
      expect.stringMatching(
        /^text removal: opencv-inpaint-ns \(auto: lama is not downloaded; `toonlora models pull lama`/,
      ),
    ]);
    expect(progress).toEqual(panels.map((_, i) => i + 1));
  });

  it('writes a manifest that validates against the shared schema', () => {
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(String(result.manifestPath), 'utf8')));
    expect(manifest.datasetDir).toBe('10_zyx girl');
    expect(manifest.stages.segmenter.name).toBe('classic');
    expect(manifest.summary).toEqual({ files: 6, ok: 6, skipped: 0, error: 0, crops: 6, warnings: 0 });
    expect(manifest.files.map((f) => f.source)).toEqual(files);
    for (const file of manifest.files) {
      expect(Object.keys(file.timingsMs)).toEqual(
        expect.arrayContaining(['decode', 'textDetect', 'textRemove', 'segment', 'crop', 'write']),
      );
    }
  });

  it('crops each panel around a ground-truth character, at the training resolution', async () => {
    for (const [i, file] of result.manifest.files.entries()) {
      const panel = panels[i] as SyntheticPanel;
      const crop = file.crops[0];
      expect(crop, panel.name).toBeDefined();
      if (!crop) continue;
      expect(
        panel.characterBoxes.some((gt) => boxContains(crop.cropBox, gt)),
        panel.name,
      ).toBe(true);
      const header = await readImageHeader(join(result.outDir, crop.image));
      expect([header.width, header.height]).toEqual([512, 512]);
      expect(readFileSync(join(result.outDir, crop.captionFile), 'utf8')).toBe('zyx, girl\n');
      expect(crop.caption.startsWith('zyx, ')).toBe(true);
    }
  });

  it('keeps names unique when two inputs share a stem', async () => {
    const twin = join(root, 'twin');
    mkdirSync(twin, { recursive: true });
    copyFileSync(files[0] as string, join(twin, 'panel-01-bubbles.png'));
    const run = await runPrep({
      inputs: [files[0] as string, twin],
      outDir: join(root, 'twins'),
      saveStages: true,
      config: { dedupe: false },
      cache: emptyCache,
    });
    expect(run.manifest.files.map((f) => f.crops[0]?.image)).toEqual([
      '10_sks girl/panel-01-bubbles.png',
      '10_sks girl/panel-01-bubbles-2.png',
    ]);
    expect(run.manifest.files.map((f) => f.stages?.textMask)).toEqual([
      'stages/panel-01-bubbles/text-mask.png',
      'stages/panel-01-bubbles-2/text-mask.png',
    ]);
  }, 60_000);

  it('saves every stage image when asked', () => {
    for (const file of result.manifest.files) {
      const stages = file.stages ?? {};
      for (const path of [
        stages.textMask,
        stages.textRemoved,
        stages.characterMask,
        ...(stages.crop ?? []),
      ]) {
        expect(path && existsSync(join(result.outDir, path))).toBe(true);
      }
    }
  });

  it('--characters all without a detector: one crop per character, speech bubbles left out', async () => {
    const index = panels.findIndex((p) => p.name === 'panel-03-two-characters');
    const run = await runPrep({
      inputs: [files[index] as string],
      outDir: join(root, 'all'),
      config: { characters: 'all' },
      cache: emptyCache,
    });
    const crops = run.manifest.files[0]?.crops ?? [];
    const truth = (panels[index] as SyntheticPanel).characterBoxes;
    expect(crops).toHaveLength(2);
    // each crop holds exactly one of the two characters (the bubbles whose tails touch them are cut off)
    for (const crop of crops) expect(truth.filter((gt) => boxContains(crop.cropBox, gt))).toHaveLength(1);
  }, 60_000);

  it('refuses a non-empty output folder, and skips near-duplicates across files', async () => {
    await expect(runPrep({ inputs: files, outDir: result.outDir, cache: emptyCache })).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
    });
    const first = files[0] as string;
    const again = await runPrep({
      inputs: [first, first.replace('/in/', '/in/../in/')],
      outDir: join(root, 'dup'),
      cache: emptyCache,
    });
    // the same file twice is one input; copy it under another name to get a real duplicate
    expect(again.manifest.files).toHaveLength(1);
    copyFileSync(first, join(root, 'copy.png'));
    const dup = await runPrep({
      inputs: [first, join(root, 'copy.png')],
      outDir: join(root, 'dup'),
      overwrite: true,
      cache: emptyCache,
    });
    expect(dup.manifest.files[1]).toMatchObject({ status: 'skipped', reasonCode: 'near-duplicate' });
    expect(dup.manifest.files[1]?.reason).toMatch(
      /near-duplicate of 10_sks girl\/panel-01-bubbles\.png \(mean colour difference 0\.0\/255\)/,
    );
    const kept = await runPrep({
      inputs: [first, join(root, 'copy.png')],
      outDir: join(root, 'dup'),
      overwrite: true,
      config: { dedupe: false },
      cache: emptyCache,
    });
    expect(kept.manifest.summary.crops).toBe(2);
  }, 120_000);
});

describe('runPrep on black-and-white line art and bubbles without text', () => {
  /** A figure drawn as black outlines on white paper (white skin and clothes), with hair of `hair`. */
  const lineArt = (hair: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="900">
    <rect width="900" height="900" fill="white"/>
    <g transform="translate(50,0)" stroke="black" stroke-width="5">
      <path d="M300 180 Q400 80 500 180 L520 330 L280 330 Z" fill="${hair}"/>
      <circle cx="400" cy="250" r="95" fill="white"/>
      <circle cx="365" cy="250" r="10" fill="black"/><circle cx="435" cy="250" r="10" fill="black"/>
      <rect x="320" y="345" width="160" height="260" rx="30" fill="white"/>
      <rect x="270" y="360" width="40" height="200" rx="20" fill="white"/>
      <rect x="490" y="360" width="40" height="200" rx="20" fill="white"/>
      <rect x="340" y="600" width="50" height="220" fill="white"/><rect x="410" y="600" width="50" height="220" fill="white"/>
    </g>
    </svg>`;
  const emptyBubble = `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="900">
    <rect width="900" height="900" fill="#cfcfcf"/>
    <ellipse cx="450" cy="450" rx="300" ry="200" fill="white" stroke="black" stroke-width="6"/></svg>`;

  it('crops a character drawn in white with black lines, and names bubble-like parts when that is all there is', async () => {
    const sharp = (await import('sharp')).default;
    const dir = join(root, 'lineart');
    mkdirSync(dir, { recursive: true });
    for (const [name, svg] of [
      ['white-hair', lineArt('white')],
      ['gray-hair', lineArt('#888')],
      ['black-hair', lineArt('black')],
      ['zz-empty-bubble', emptyBubble],
    ] as const) {
      await sharp(Buffer.from(svg))
        .png()
        .toFile(join(dir, `${name}.png`));
    }
    const run = await runPrep({
      inputs: [dir],
      outDir: join(root, 'lineart-out'),
      config: { dedupe: false },
      cache: emptyCache,
    });
    const byName = (stem: string) => run.manifest.files.find((f) => f.source.endsWith(`${stem}.png`));
    for (const stem of ['white-hair', 'gray-hair', 'black-hair']) {
      expect(byName(stem), stem).toMatchObject({ status: 'ok', crops: [expect.anything()] });
    }
    expect(byName('zz-empty-bubble')).toMatchObject({
      status: 'skipped',
      reasonCode: 'no-character',
      reason: expect.stringMatching(
        /part looks like a speech bubble \(almost all white, .*\) and is left out/,
      ),
    });
  }, 60_000);
});
