// The model stages of runPrep resolved from a model cache holding the tiny ONNX fixtures (auto choices, the person
// detector), stages asked for by name without weights, a stage that throws, BLIP as a deferred captioner, cancel and
// a bad setting: over the synthetic panels (scripts/draw-panels.ts). The panels' own crops are prep-pipeline.test.ts.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { drawPanels, writePanelImages } from '../scripts/draw-panels.js';
import { combineCaptioners } from '../src/prep/caption.js';
import { parsePrepConfig, runPrep } from '../src/prep/pipeline.js';
import { createClassicSegmenter } from '../src/prep/segment-classic.js';
import { createBlipCaptioner } from '../src/prep/stage-registry.js';
import { manifestSchema } from '../src/schemas/manifest.js';
import { emptyModelCache, fixtureModelCache } from './helpers/images.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-prep-models-'));
const emptyCache = emptyModelCache(root);

const fixtureCache = () => fixtureModelCache(root);

let files: string[];

beforeAll(async () => {
  files = await writePanelImages(await drawPanels(), join(root, 'in'));
}, 180_000);

describe('runPrep with model weights in the cache (tiny fixtures)', () => {
  it('auto picks isnet-anime and wd14; --characters all uses the person detector', async () => {
    const lines: string[] = [];
    const run = await runPrep({
      inputs: [files[0] as string],
      outDir: join(root, 'models-out'),
      config: { characters: 'all' },
      cache: fixtureCache(),
      onMessage: (line) => lines.push(line),
    });
    expect(run.manifest.stages.segmenter.name).toBe('isnet-anime');
    expect(run.manifest.stages.captioner.name).toBe('wd14');
    expect(run.manifest.stages.personDetector?.name).toBe('anime-person-detector');
    expect(lines).toEqual([
      'segmenter: isnet-anime (auto: its weights are in the model cache)',
      'captioner: wd14 (auto: WD14 weights are in the model cache)',
      'characters: all, one crop per person found by anime-person-detector',
      'text removal: lama-inpaint (auto: its weights are in the model cache)',
    ]);
    expect(run.manifest.stages.textRemover.name).toBe('lama-inpaint');
    // the fixture detector reports two people: one crop each, tagged by the fixture WD14
    const [file] = run.manifest.files;
    expect(file?.status).toBe('ok');
    expect(file?.rejected).toEqual([]);
    expect(file?.crops).toHaveLength(2);
    for (const crop of file?.crops ?? []) {
      expect(crop.caption).toMatch(/^sks, /);
      expect(crop.caption).not.toBe('sks, girl');
    }
  }, 120_000);

  it('fails up front, naming the pull command, for a stage asked for by name without weights', async () => {
    const out = join(root, 'never-written');
    await expect(
      runPrep({ inputs: files, outDir: out, config: { segmenter: 'u2net' }, cache: emptyCache }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      message: expect.stringMatching(/^u2net: .*Run: toonlora models pull u2net$/),
    });
    await expect(
      runPrep({ inputs: files, outDir: out, config: { captioner: 'wd14' }, cache: emptyCache }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      message: expect.stringMatching(/toonlora models pull wd-vit-tagger-v3/),
    });
    await expect(
      runPrep({ inputs: files, outDir: out, config: { captioner: 'blip' }, cache: emptyCache }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      message: expect.stringMatching(/^blip-base: .*Run: toonlora models pull blip-base$/),
    });
    expect(existsSync(out)).toBe(false);
  });

  it('records a stage that throws on one file as an error of that file and goes on', async () => {
    let calls = 0;
    const classic = createClassicSegmenter();
    const run = await runPrep({
      inputs: files.slice(0, 2),
      outDir: join(root, 'stage-error'),
      cache: emptyCache,
      stages: {
        segmenter: {
          name: 'flaky',
          segment: async (image) => {
            calls++;
            if (calls === 1) throw 1234; // what OpenCV.js throws
            return classic.segment(image);
          },
        },
      },
    });
    expect(run.manifest.files.map((f) => f.status)).toEqual(['error', 'ok']);
    expect(run.manifest.files[0]?.reason).toMatch(
      /panel-01-bubbles\.png: a prep stage failed \(OpenCV exception 1234\)/,
    );
    expect(run.manifest.stages.segmenter).toEqual({ name: 'flaky', reason: 'given by the caller' });
  }, 60_000);

  it('runs a deferred captioner (BLIP in the worker) once for the whole run and merges its sentence first', async () => {
    const batches: string[][] = [];
    const fakeBlip = async (paths: readonly string[]) => {
      batches.push([...paths]);
      return paths.map((path) => ({ path, caption: 'a manga girl with black hair' }));
    };
    const config = parsePrepConfig({});
    const tagger = {
      name: 'tags',
      describe: async (images: readonly unknown[]) => images.map(() => ({ tags: ['smile', 'sks'] })),
    };
    const run = await runPrep({
      inputs: files.slice(0, 2),
      outDir: join(root, 'blip'),
      cache: emptyCache,
      stages: {
        captioner: combineCaptioners('blip+wd14', [
          createBlipCaptioner('/models/blip', config, fakeBlip),
          tagger,
        ]),
      },
    });
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(2);
    for (const crop of run.manifest.files.flatMap((f) => f.crops)) {
      expect(crop.caption).toBe('sks, a manga girl with black hair, smile');
      expect(readFileSync(join(run.outDir, crop.captionFile), 'utf8')).toBe(
        'sks, a manga girl with black hair, smile\n',
      );
    }
  }, 60_000);

  it('a deferred captioner (BLIP) that fails at the end: one short line, and the manifest does not say blip', async () => {
    // transformers' "Unrecognized model" error lists every model type it knows (~2,500 characters)
    const huge = `/models/blip: BLIP model not found on this machine (Unrecognized model in /models/blip. ${'albert, align, '.repeat(160)}). Run: toonlora models pull blip-base`;
    const failingBlip = async () => {
      throw new Error(huge);
    };
    const config = parsePrepConfig({});
    const lines: string[] = [];
    const run = await runPrep({
      inputs: files.slice(0, 1),
      outDir: join(root, 'blip-failed'),
      cache: emptyCache,
      onMessage: (line) => lines.push(line),
      stages: { captioner: createBlipCaptioner('/models/blip', config, failingBlip) },
    });
    const line = lines.find((l) => l.startsWith('captioner blip: ')) ?? '';
    expect(line.length).toBeGreaterThan(0);
    expect(line.length).toBeLessThan(450);
    expect(line).toContain(
      '…; `toonlora models pull blip-base` replaces a broken copy (captions keep what the other stages gave)',
    );
    expect(run.manifest.stages.captioner.name).toBe('none');
    expect(run.manifest.stages.captioner.reason).toMatch(
      /^blip was chosen \(given by the caller\) but BLIP failed: .*; captions are the trigger and class words$/,
    );
    expect(run.manifest.files[0]?.crops[0]?.caption).toBe('sks, girl');
  }, 60_000);

  it('stops between files when cancelled and records it', async () => {
    // 18 files: more than the files analysed at once (one per inference thread + 1, 4 queued each),
    // so some are never started
    const many = join(root, 'many');
    mkdirSync(many);
    const inputs = files.flatMap((file, i) =>
      [0, 1, 2].map((copy) => {
        const path = join(many, `${copy}-${i}${extname(file)}`);
        copyFileSync(file, path);
        return path;
      }),
    );
    const controller = new AbortController();
    const run = await runPrep({
      inputs,
      outDir: join(root, 'cancelled'),
      cache: emptyCache,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    expect(run.manifest.cancelled).toBe(true);
    // the files already started are finished, the rest left
    expect(run.manifest.files.length).toBeGreaterThanOrEqual(1);
    expect(run.manifest.files.length).toBeLessThan(inputs.length);
    expect(run.manifest.files.map((f) => f.source)).toEqual(inputs.slice(0, run.manifest.files.length));
    expect(manifestSchema.parse(JSON.parse(readFileSync(String(run.manifestPath), 'utf8'))).cancelled).toBe(
      true,
    );
  }, 60_000);

  it('names the field, value and flag of a bad setting', async () => {
    await expect(
      runPrep({ inputs: files, outDir: join(root, 'x'), config: { resolution: 500 } }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_CONFIG',
      message: expect.stringMatching(/prep\.resolution: .*got 500\. Set --resolution or prep\.resolution\./),
    });
  });
});
