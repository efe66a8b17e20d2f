// src/worker/train.test.ts — the train request carries exactly one of steps / epochs (the worker turns
// epochs into steps from the dataset), and the CLI refuses --steps with --epochs and warns about inert flags.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { inertFlagWarnings, trainingOverrides } from '../cli/commands/train-flags.js';
import { trainingConfigSchema } from '../schemas/config.js';
import { writeSd15Snapshot } from '../models/sd15-testing.js';
import { trainRequestSchema } from './protocol.js';
import { buildTrainRequest, planTraining } from './train.js';

/** A dataset folder of image files and caption files. */
function writeDataset(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), 'tl-train-facts-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/** The first bytes of a PNG: enough for the image check (the trainer would decode the rest). */
const IMAGE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// planTraining runs the worker's `scan-dataset` (the real Python worker: data.py is the one reader of the dataset)
const WORKER_TIMEOUT = 120_000;

describe("planTraining reads the dataset with the worker's scan", () => {
  const png = (width = 64, height = 64) =>
    sharp({ create: { width, height, channels: 3, background: '#808080' } })
      .png({ compressionLevel: 0 })
      .toBuffer();

  it(
    'counts what the run trains and returns every warning the run prints, in its words and order',
    async () => {
      const good = await png();
      const root = writeDataset({
        '5_sks girl/a.png': good,
        '5_sks girl/a.txt': 'sks, from txt',
        '5_sks girl/a.caption': 'sks, not read',
        '5_sks girl/b.png': good,
        '5_sks girl/b.txt': Buffer.from([0x73, 0xff, 0xfe]), // not UTF-8: the run warns and uses the tokens
        '5_sks girl/cut.png': good.subarray(0, 800), // the header reads, the pixels do not
        '5_sks girl/cut.txt': 'sks, never trained',
        '5_sks girl/empty.png': '',
        '5_sks girl/junk.png': 'junk',
        '5_sks girl/extra/d.png': good,
        '0_off x/c.png': good,
        'sks girl/e.png': good,
        'stages/f.png': good,
      });
      const folder = join(root, '5_sks girl');
      const plan = await planTraining(root, trainingConfigSchema.parse({ epochs: 2 }));
      // 2 images x 5 repeats x 2 epochs
      expect(plan).toMatchObject({ steps: 20, epochs: 2, images: 2, imagesWithRepeats: 10 });
      const leftOut = (name: string) =>
        new RegExp(`^${join(folder, name)}: cannot read image \\(.+\\); left out of the training set$`);
      expect(plan.warnings).toEqual([
        `${join(root, 'sks girl')}: 1 image(s) not trained: the folder name is not \`<repeats>_<trigger> <class>\` ` +
          '(e.g. `10_sks girl`). Rename it to train them.',
        `${join(root, '0_off x')}: repeats is 0, folder skipped`,
        `${join(folder, 'extra')}: 1 image(s) in a subfolder not trained (extra/d.png): only the files directly in ` +
          `5_sks girl are read. Move them up into ${folder} to train them.`,
        expect.stringMatching(
          new RegExp(`^${join(folder, 'b.txt')}: unreadable caption \\(.+\\); using 'sks girl'$`),
        ),
        `1 image(s) have both a .txt and a .caption caption file (e.g. ${join(folder, 'a.caption')}): the .txt is ` +
          'used, the .caption is ignored. Delete the one you do not want.',
        expect.stringMatching(leftOut('cut.png')),
        expect.stringMatching(leftOut('empty.png')),
        expect.stringMatching(leftOut('junk.png')),
      ]);
    },
    WORKER_TIMEOUT,
  );

  it(
    "a dataset whose only images do not decode fails as the run does (input invalid, the worker's message)",
    async () => {
      const root = writeDataset({ '4_sks girl/cut.png': (await png()).subarray(0, 800) });
      await expect(planTraining(root, trainingConfigSchema.parse({ epochs: 2 }))).rejects.toMatchObject({
        code: 'TL_ERR_INPUT_INVALID',
        message: expect.stringMatching(
          new RegExp(
            `^${root}: no readable images, 1 could not be decoded: ${join(root, '4_sks girl', 'cut.png')}: cannot read image \\(`,
          ),
        ),
      });
    },
    WORKER_TIMEOUT,
  );

  it(
    'names a stopped prep run when the dataset has no kohya folder',
    async () => {
      const stopped = writeDataset({ '.toonlora-prep-staging/10_sks girl/a.png': IMAGE });
      await expect(planTraining(stopped, trainingConfigSchema.parse({}))).rejects.toMatchObject({
        code: 'TL_ERR_INPUT_NOT_FOUND',
        message: expect.stringContaining('A prep run into this folder was stopped before it finished'),
      });
    },
    WORKER_TIMEOUT,
  );
});

describe('planTraining (train --dry-run)', () => {
  it(
    'turns epochs into the steps the worker trains, with batches of one aspect-ratio bucket filled up',
    async () => {
      const root = writeDataset({});
      mkdirSync(join(root, '3_sks girl'));
      const png = (width: number, height: number) =>
        sharp({ create: { width, height, channels: 3, background: '#808080' } })
          .png()
          .toBuffer();
      for (const [name, [w, h]] of Object.entries({ a: [64, 64], b: [64, 64], c: [40, 120] } as const))
        writeFileSync(join(root, '3_sks girl', `${name}.png`), await png(w, h));
      const config = (over: object) => trainingConfigSchema.parse({ resolution: 128, ...over });
      // 3 images x 3 repeats = 9 an epoch
      expect(await planTraining(root, config({ epochs: 2 }))).toEqual({
        steps: 18,
        epochs: 2,
        images: 3,
        imagesWithRepeats: 9,
        warnings: [],
      });
      expect((await planTraining(root, config({ epochs: 2, gradientAccumulation: 4 }))).steps).toBe(5); // ceil(18 / 4)
      // batch 2 over two buckets: 6 square -> 3 batches, 3 tall -> 2 (the last filled up): 5 a epoch
      expect((await planTraining(root, config({ epochs: 2, batchSize: 2 }))).steps).toBe(10);
      expect(
        (await planTraining(root, config({ epochs: 2, batchSize: 2, aspectRatioBuckets: false }))).steps,
      ).toBe(9);
      expect(await planTraining(root, config({ steps: 20 }))).toMatchObject({ steps: 20, epochs: 3 });
    },
    WORKER_TIMEOUT,
  );

  it(
    'fails on a missing or empty dataset, or a file, as the real run does',
    async () => {
      const config = trainingConfigSchema.parse({ epochs: 2 });
      await expect(planTraining('/nonexistent/dataset', config)).rejects.toMatchObject({
        code: 'TL_ERR_INPUT_NOT_FOUND',
        message: expect.stringContaining('/nonexistent/dataset: dataset folder not found'),
      });
      // a file given instead of the folder: said as such, with the folder it belongs to
      const dataset = writeDataset({ '5_sks girl/a.png': IMAGE });
      const image = join(dataset, '5_sks girl', 'a.png');
      await expect(planTraining(image, config)).rejects.toMatchObject({
        code: 'TL_ERR_INPUT_INVALID',
        message:
          `${image}: this is a file, not a folder: train takes the dataset folder \`toonlora prep\` wrote (the one ` +
          `holding the \`<repeats>_<trigger> <class>\` folders), not a file in it. Did you mean ${dataset}?`,
      });
      const root = writeDataset({ '0_off x/a.png': '', 'notes/b.png': '' });
      await expect(planTraining(root, config)).rejects.toMatchObject({
        code: 'TL_ERR_INPUT_NOT_FOUND',
        message: expect.stringContaining('no images found in `<repeats>_<trigger> <class>` folders'),
      });
    },
    WORKER_TIMEOUT,
  );
});

describe('buildTrainRequest', () => {
  it('sends epochs with steps null when epochs is set, and steps with epochs null otherwise', () => {
    const byEpochs = buildTrainRequest({
      datasetDir: '/d',
      runDir: '/r',
      config: trainingConfigSchema.parse({ epochs: 3 }),
    });
    expect(byEpochs.config).toMatchObject({ steps: null, epochs: 3, sampleSeeds: [42, 43] });
    expect(trainRequestSchema.safeParse(byEpochs).success).toBe(true);
    const bySteps = buildTrainRequest({
      datasetDir: '/d',
      runDir: '/r',
      config: trainingConfigSchema.parse({ steps: 20 }),
    });
    expect(bySteps.config).toMatchObject({ steps: 20, epochs: null });
    expect(trainRequestSchema.safeParse(bySteps).success).toBe(true);
  });

  it("reads a server job's owner/name base from the Hugging Face cache only (apiBaseModel)", () => {
    const hubCache = mkdtempSync(join(tmpdir(), 'tl-hub-'));
    const snapshot = writeSd15Snapshot(join(hubCache, 'models--someone--hub-model', 'snapshots', 'c0ffee'));
    vi.stubEnv('HF_HUB_CACHE', hubCache);
    try {
      const config = trainingConfigSchema.parse({ baseModel: 'someone/hub-model' });
      const request = buildTrainRequest({ datasetDir: '/d', runDir: '/r', config, apiBaseModel: true });
      expect(request.config.baseModel).toBe(snapshot);
      const absent = trainingConfigSchema.parse({ baseModel: 'someone/absent' });
      expect(() =>
        buildTrainRequest({ datasetDir: '/d', runDir: '/r', config: absent, apiBaseModel: true }),
      ).toThrow("baseModel: someone/absent is not in the server's Hugging Face cache.");
      // the CLI passes a Hub id on to the worker
      expect(buildTrainRequest({ datasetDir: '/d', runDir: '/r', config: absent }).config.baseModel).toBe(
        'someone/absent',
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('the protocol rejects a request with both or neither', () => {
    const request = buildTrainRequest({
      datasetDir: '/d',
      runDir: '/r',
      config: trainingConfigSchema.parse({}),
    });
    expect(
      trainRequestSchema.safeParse({ ...request, config: { ...request.config, epochs: 2 } }).success,
    ).toBe(false);
    expect(
      trainRequestSchema.safeParse({ ...request, config: { ...request.config, steps: null } }).success,
    ).toBe(false);
  });
});

describe('toonlora train flags', () => {
  it('--steps and --epochs together are a usage error naming both', () => {
    expect(() =>
      trainingOverrides({ steps: '100', epochs: '2', resume: false, dryRun: false, json: false }),
    ).toThrow(
      expect.objectContaining({
        code: 'TL_ERR_USAGE',
        message: expect.stringContaining('--steps 100 and --epochs 2'),
      }),
    );
    expect(trainingOverrides({ epochs: '2', resume: false, dryRun: false, json: false })).toMatchObject({
      training: { epochs: 2, steps: undefined },
    });
  });

  it('warns about --te-lr without text-encoder training and --lokr-factor without --lokr', () => {
    const base = { resume: false, dryRun: false, json: false };
    const plain = trainingConfigSchema.parse({});
    expect(inertFlagWarnings({ ...base, teLr: '1e-5', lokrFactor: '8' }, plain)).toEqual([
      expect.stringMatching(/^--te-lr has no effect: .*Add --train-text-encoder\.$/),
      expect.stringMatching(/^--lokr-factor has no effect: .*Add --lokr\.$/),
    ]);
    const both = trainingConfigSchema.parse({ trainTextEncoder: true, lora: { algorithm: 'lokr' } });
    expect(inertFlagWarnings({ ...base, teLr: '1e-5', lokrFactor: '8' }, both)).toEqual([]);
    expect(inertFlagWarnings(base, plain)).toEqual([]);
  });

  it('--keep-checkpoints sets keepCheckpoints; the schema refuses a negative count', () => {
    const overrides = trainingOverrides({ keepCheckpoints: '3', resume: false, dryRun: false, json: false });
    expect(overrides).toMatchObject({ training: { keepCheckpoints: 3 } });
    expect(trainingConfigSchema.parse({}).keepCheckpoints).toBe(0); // every checkpoint stays unless asked
    expect(trainingConfigSchema.safeParse({ keepCheckpoints: -1 }).success).toBe(false);
  });

  it('--no-buckets turns aspect-ratio buckets off; without it the config file decides (default on)', () => {
    const off = trainingOverrides({ buckets: false, resume: false, dryRun: false, json: false });
    expect(off).toMatchObject({ training: { aspectRatioBuckets: false } });
    const unset = trainingOverrides({ buckets: true, resume: false, dryRun: false, json: false });
    expect((unset.training as Record<string, unknown>).aspectRatioBuckets).toBeUndefined();
    expect(trainingConfigSchema.parse({}).aspectRatioBuckets).toBe(true);
  });

  it('--lokr and --lokr-factor choose the LoKr adapter; the schema refuses DoRA with it and a factor of 0', () => {
    const overrides = trainingOverrides({
      lokr: true,
      lokrFactor: '8',
      resume: false,
      dryRun: false,
      json: false,
    });
    expect(overrides).toMatchObject({ training: { lora: { algorithm: 'lokr', lokrFactor: 8 } } });
    const config = trainingConfigSchema.parse(overrides.training);
    expect(config.lora).toMatchObject({ algorithm: 'lokr', lokrFactor: 8, rank: 32 });
    expect(trainingConfigSchema.parse({}).lora).toMatchObject({ algorithm: 'lora', lokrFactor: -1 });
    const dora = trainingConfigSchema.safeParse({ lora: { algorithm: 'lokr', dora: true } });
    expect(dora.success).toBe(false);
    expect(dora.error?.issues[0]).toMatchObject({
      path: ['lora', 'dora'],
      message: expect.stringContaining('dora works with algorithm "lora" only, not "lokr"'),
    });
    expect(trainingConfigSchema.safeParse({ lora: { algorithm: 'lokr', lokrFactor: 0 } }).success).toBe(
      false,
    );
    // the worker's request keeps the check (the resolved schema extends the LoRA one)
    const request = buildTrainRequest({ datasetDir: '/d', runDir: '/r', config });
    expect(trainRequestSchema.safeParse(request).success).toBe(true);
    const bad = { ...request, config: { ...request.config, lora: { ...request.config.lora, dora: true } } };
    expect(trainRequestSchema.safeParse(bad).success).toBe(false);
  });
});
