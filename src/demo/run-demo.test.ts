import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BASE_MODEL, prepConfigSchema } from '../schemas/config.js';
import { chooseDemoBase, createStageTimer, DEMO_CLASS, DEMO_TRIGGER, runDemo } from './run-demo.js';

describe('chooseDemoBase', () => {
  it('auto trains the real anime base only when its weights are cached', () => {
    expect(chooseDemoBase(undefined, true)).toEqual({ base: DEFAULT_BASE_MODEL, plan: 'real' });
    expect(chooseDemoBase('auto', false)).toEqual({ base: 'tiny', plan: 'tiny' });
  });
  it('an explicit base is taken as asked', () => {
    expect(chooseDemoBase('tiny', true)).toEqual({ base: 'tiny', plan: 'tiny' });
    expect(chooseDemoBase('/models/my.safetensors', false)).toEqual({
      base: '/models/my.safetensors',
      plan: 'real',
    });
  });
});

describe('the demo dataset', () => {
  it("is named with prep's default trigger and class words", () => {
    const prep = prepConfigSchema.parse({});
    expect([DEMO_TRIGGER, DEMO_CLASS]).toEqual([prep.trigger, prep.classWord]);
  });
});

describe('runDemo refuses before any work', () => {
  const log = () => {};
  it('a --steps that is not a whole number of at least 1', async () => {
    for (const steps of [0, -3, 1.5]) {
      await expect(runDemo({ steps, log, outDir: join(tmpdir(), 'never-made') })).rejects.toMatchObject({
        code: 'TL_ERR_USAGE',
        message: expect.stringMatching(/^--steps: expected a whole number of at least 1/),
      });
    }
  });

  it('an --out that is a file, or that holds an earlier run', async () => {
    const root = mkdtempSync(join(tmpdir(), 'toonlora-demo-out-'));
    writeFileSync(join(root, 'a-file'), 'mine\n');
    await expect(runDemo({ log, outDir: join(root, 'a-file') })).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message: expect.stringContaining('this is a file, not a folder'),
    });
    mkdirSync(join(root, 'earlier', 'dataset'), { recursive: true });
    await expect(runDemo({ log, outDir: join(root, 'earlier') })).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
      message: expect.stringContaining('already holds a demo run (dataset); nothing was changed'),
    });
    expect(readFileSync(join(root, 'a-file'), 'utf8')).toBe('mine\n');
  });

  it('an --inputs folder that does not exist, named as the folder given (not the bundled examples)', async () => {
    const inputsDir = join(tmpdir(), 'toonlora-demo-no-such-inputs');
    const outDir = join(tmpdir(), 'toonlora-demo-never-made-inputs');
    const refusal = runDemo({ inputsDir, outDir, log });
    await expect(refusal).rejects.toMatchObject({
      code: 'TL_ERR_INPUT_NOT_FOUND',
      message: `${inputsDir}: the --inputs folder does not exist. Give a folder of screenshots, or leave --inputs out for the bundled examples.`,
    });
    await expect(refusal).rejects.not.toMatchObject({ message: expect.stringContaining('npm run examples') });
    expect(existsSync(outDir)).toBe(false);
  });

  it('a --base that is a near miss of a known base, naming it (before setup and prep)', async () => {
    const logged: string[] = [];
    const outDir = join(tmpdir(), 'toonlora-demo-never-made');
    await expect(
      runDemo({ base: 'anythng-v5', outDir, log: (line) => logged.push(line) }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_UNKNOWN',
      message: expect.stringMatching(/^--base: unknown base model "anythng-v5" .*did you mean anything-v5\?/),
    });
    expect(logged).toEqual([]);
    expect(existsSync(outDir)).toBe(false);
  });
});

describe('runDemo checks the base as train does, before setup and prep', () => {
  it.each([
    [
      'a local name that is no folder',
      'nosuch',
      'nosuch: base model not found on this machine. No such folder.',
    ],
    [
      'a registry base not downloaded',
      'anything-v5',
      'anything-v5: base model not found on this machine (not downloaded yet). Run `toonlora models pull anything-v5` first',
    ],
  ])('%s', async (_, base, words) => {
    const home = mkdtempSync(join(tmpdir(), 'toonlora-demo-home-'));
    const saved = process.env.TOONLORA_HOME;
    process.env.TOONLORA_HOME = home; // an empty model cache: anything-v5 is not there
    try {
      const logged: string[] = [];
      const outDir = join(home, 'demo-base-missing');
      await expect(runDemo({ base, outDir, log: (line) => logged.push(line) })).rejects.toMatchObject({
        code: 'TL_ERR_MODEL_MISSING',
        message: expect.stringContaining(words),
      });
      expect(logged).toEqual([]); // no setup, no prep
      expect(existsSync(outDir)).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.TOONLORA_HOME;
      else process.env.TOONLORA_HOME = saved;
    }
  });
});

describe('a demo that fails before training', () => {
  it('leaves nothing in --out, so the same command runs again; the refusal of an earlier run says what to delete', async () => {
    const root = mkdtempSync(join(tmpdir(), 'toonlora-demo-failed-'));
    const inputsDir = join(root, 'fake');
    mkdirSync(inputsDir);
    writeFileSync(join(inputsDir, 'x.png'), 'just some text\n');
    const outDir = join(root, 'out');
    const failed = runDemo({ base: 'tiny', inputsDir, outDir, log: () => {} });
    await expect(failed).rejects.toMatchObject({
      code: 'TL_ERR_IMAGE_DECODE',
      message: expect.stringMatching(/^prep made no crops from .*fake \(x\.png: .*\); nothing was kept in /),
    });
    expect(existsSync(outDir)).toBe(false);
    mkdirSync(join(outDir, 'run'), { recursive: true });
    await expect(runDemo({ base: 'tiny', inputsDir, outDir, log: () => {} })).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
      message: expect.stringContaining(`To run it there again, delete ${join(outDir, 'run')} first.`),
    });
  }, 120_000);
});

describe('the demo stage timer', () => {
  it("gives each stage's seconds, from its start to the next one's, and the total", () => {
    let ms = 0;
    const timer = createStageTimer(() => ms);
    ms = 500; // option checks before the first stage
    timer.start('setup');
    ms += 2_000;
    timer.start('prep');
    ms += 14_000;
    timer.start('train');
    ms += 112_000;
    timer.start('generate');
    ms += 9_300;
    expect(timer.finish()).toEqual({ setup: 2, prep: 14, train: 112, generate: 9.3, total: 137.8 });
  });
});
