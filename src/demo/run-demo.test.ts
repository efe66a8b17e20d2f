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
