import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { thrownToonloraError } from '../errors-testing.js';
import { effectiveLoraAlpha } from '../schemas/config.js';
import { loadConfig, mergeConfig, parseConfig } from './load-config.js';

describe('config defaults (SPEC §1, §2, §4)', () => {
  const config = parseConfig({});
  it('fills the SPEC defaults', () => {
    expect(config.training.lora.rank).toBe(32);
    expect(config.training.lora.alpha).toBeUndefined();
    expect(effectiveLoraAlpha(config.training.lora)).toBe(32);
    expect(config.training.lora.targetModules).toEqual(['to_q', 'to_k', 'to_v', 'to_out.0']);
    expect(config.training.snrGamma).toBe(5);
    expect(config.training.noiseOffset).toBe(0.1);
    expect(config.training.gradientCheckpointing).toBe(true);
    expect(config.training.resolution).toBe(512);
    expect(config.training.baseModel).toBe('stablediffusionapi/anything-v5');
    expect(config.generation.clipSkip).toBe(2);
    expect(config.generation.vaeFp32).toBe(true);
    expect(config.prep.blip).toEqual({ maxLength: 50, numBeams: 3 });
    expect(config.prep.resolution).toBe(512);
  });
  it('alpha = rank follows the rank when only rank is set', () => {
    const c = parseConfig({ training: { lora: { rank: 8 } } });
    expect(effectiveLoraAlpha(c.training.lora)).toBe(8);
  });
});

describe('config validation names the field, the value and the fix', () => {
  it('rejects rank 0', () => {
    const error = thrownToonloraError(() => parseConfig({ training: { lora: { rank: 0 } } }));
    expect(error.code).toBe('TL_ERR_CONFIG');
    expect(error.message).toMatch(/training\.lora\.rank: .*got 0\. Set --rank or training\.lora\.rank\./);
  });
  it('rejects an unknown target module', () => {
    const error = thrownToonloraError(() =>
      parseConfig({ training: { lora: { targetModules: ['to_q', 'ff.net'] } } }),
    );
    expect(error.message).toMatch(/training\.lora\.targetModules\.1: .*got "ff\.net"/);
  });
  it('names the flag of a list item and of the prep / train / generate flags', () => {
    const seed = thrownToonloraError(() => parseConfig({ generation: { seeds: [1, -1] } }));
    // the setting is the list's key (before: "Set --seed or generation.seeds.1", which is no config key)
    expect(seed.message).toMatch(/generation\.seeds\.1: .*got -1\. Set --seed or generation\.seeds\.$/);
    const workers = thrownToonloraError(() => parseConfig({ prep: { workers: 0 } }));
    expect(workers.message).toMatch(/Set --workers or prep\.workers\./);
    const fraction = thrownToonloraError(() => parseConfig({ prep: { workers: 1.5 } }));
    expect(fraction.message).toMatch(
      /prep\.workers: expected "auto" or a whole number of threads from 1 to 64, got 1\.5/,
    );
    const buckets = thrownToonloraError(() => parseConfig({ training: { aspectRatioBuckets: 'no' } }));
    expect(buckets.message).toMatch(/Set --no-buckets or training\.aspectRatioBuckets\./);
    const dedupe = thrownToonloraError(() => parseConfig({ prep: { dedupe: 0 } }));
    expect(dedupe.message).toMatch(/Set --keep-duplicates or prep\.dedupe\./);
    const keep = thrownToonloraError(() => parseConfig({ training: { keepCheckpoints: -1 } }));
    expect(keep.message).toMatch(/Set --keep-checkpoints or training\.keepCheckpoints\./);
    // train has no --resolution flag: the hint names the config field alone
    const resolution = thrownToonloraError(() => parseConfig({ training: { resolution: 500 } }));
    expect(resolution.message).toMatch(/training\.resolution: .*got 500\. Set training\.resolution\./);
  });
  it('a value past the safe integers names one limit, the real one (before: <=9007199254740991 and <=4294967295)', () => {
    // the CLI reads --seed 99999999999999999999 as 1e20
    const seed = thrownToonloraError(() => parseConfig({ generation: { seeds: [1e20] } }));
    expect(seed.message.split('\n').slice(1)).toEqual([
      'generation.seeds.0: must be at most 4294967295, got 100000000000000000000. Set --seed or generation.seeds.',
    ]);
    const steps = thrownToonloraError(() => parseConfig({ training: { steps: 1e20 } }));
    expect(steps.message).toContain('must be at most 1000000, got');
    expect(steps.message).not.toContain('9007199254740991');
  });

  it('rejects negative steps', () => {
    const error = thrownToonloraError(() => parseConfig({ training: { steps: -5 } }));
    expect(error.message).toMatch(/training\.steps: .*got -5\. Set --steps or training\.steps\./);
  });
});

describe('config files and overrides', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toonlora-config-'));
  it('reads TOML and lets flags win', () => {
    const file = join(dir, 'toonlora.toml');
    writeFileSync(file, '[training]\nsteps = 300\n[training.lora]\nrank = 16\nalpha = 8\n');
    const config = loadConfig({ file, overrides: { training: { steps: 50 } } });
    expect(config.training.steps).toBe(50);
    expect(config.training.lora.rank).toBe(16);
    expect(effectiveLoraAlpha(config.training.lora)).toBe(8);
  });
  it("a file gives steps or epochs, not both; a flag for either replaces the file's other one", () => {
    const both = join(dir, 'both.toml');
    writeFileSync(both, '[training]\nsteps = 300\nepochs = 4\n');
    const error = thrownToonloraError(() => loadConfig({ file: both }));
    expect(error.code).toBe('TL_ERR_CONFIG_FILE');
    expect(error.message).toMatch(/both\.toml: training\.steps and training\.epochs/);

    const epochs = join(dir, 'epochs.toml');
    writeFileSync(epochs, '[training]\nepochs = 4\nresolution = 768\n');
    const bySteps = loadConfig({ file: epochs, overrides: { training: { steps: 50 } } });
    expect(bySteps.training.steps).toBe(50);
    expect(bySteps.training.epochs).toBeUndefined();
    expect(bySteps.training.resolution).toBe(768);
    expect(loadConfig({ file: epochs }).training.epochs).toBe(4);

    const steps = join(dir, 'steps.toml');
    writeFileSync(steps, '[training]\nsteps = 300\n');
    expect(loadConfig({ file: steps, overrides: { training: { epochs: 2 } } }).training.epochs).toBe(2);
  });
  it.each([
    ['section.toml', '[trainig]\nsteps = 10\n', 'trainig', 'training'],
    ['key.toml', '[training]\nrnak = 3\n', 'training.rnak', 'training.lora.rank'],
    [
      'key.json',
      '{"training": {"lora": {"rank": 8, "alhpa": 4}}}',
      'training.lora.alhpa',
      'training.lora.alpha',
    ],
  ])('refuses an unknown key in %s naming the file, the key and the likely one', (name, text, key, meant) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    const error = thrownToonloraError(() => loadConfig({ file, overrides: { training: { steps: 5 } } }));
    expect(error.code).toBe('TL_ERR_CONFIG_FILE');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`${file}: unknown setting`);
    expect(error.message).toContain(`${key}: unknown key; did you mean ${meant}?`);
    expect(error.details).toMatchObject({ file, unknownKeys: [key], suggestions: [meant] });
  });
  it('names every unknown key of a file, listing the known ones where none is close', () => {
    const file = join(dir, 'many.toml');
    writeFileSync(file, '[training]\nfoo = 1\n[generation]\nstep = 20\n');
    const error = thrownToonloraError(() => loadConfig({ file }));
    expect(error.message).toMatch(/training\.foo: unknown key; known keys here: baseModel, lora, /);
    expect(error.message).toContain('generation.step: unknown key; did you mean generation.steps?');
  });
  it('names the file when it is not valid JSON', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{ nope');
    const error = thrownToonloraError(() => loadConfig({ file }));
    expect(error.code).toBe('TL_ERR_CONFIG_FILE');
    expect(error.message).toContain('bad.json');
  });
  it('a section or group of the wrong type is named even when flags set that section', () => {
    const toml = join(dir, 'lora-number.toml');
    writeFileSync(toml, '[training]\nlora = 8\n');
    const lora = thrownToonloraError(() =>
      loadConfig({ file: toml, overrides: { training: { lora: { rank: undefined }, steps: 10 } } }),
    );
    expect(lora.code).toBe('TL_ERR_CONFIG');
    expect(lora.message).toMatch(/training\.lora: .*got 8\./);
    const json = join(dir, 'prep-number.json');
    writeFileSync(json, '{"prep": 5}');
    const prep = thrownToonloraError(() =>
      loadConfig({ file: json, overrides: { prep: { trigger: undefined } } }),
    );
    expect(prep.message).toMatch(/prep: .*got 5\./);
  });

  it.each([
    [
      'steps.toml',
      '[training]\nsteps = "many"\n',
      { training: { steps: 4 } },
      'training.steps: expected a number, got "many". Set --steps or training.steps.',
    ],
    [
      'rank.toml',
      '[training.lora]\nrank = "eight"\n',
      { training: { lora: { rank: 4 } } },
      'training.lora.rank: expected a number, got "eight". Set --rank or training.lora.rank.',
    ],
    // --steps drops the file's epochs (one training length), but the file is still broken
    [
      'epochs.toml',
      '[training]\nepochs = "two"\n',
      { training: { steps: 4 } },
      'training.epochs: expected a number, got "two". Set --epochs or training.epochs.',
    ],
    [
      'trigger.json',
      '{"prep": {"trigger": "two words"}}',
      { prep: { trigger: 'sks' } },
      'prep.trigger: one word: no spaces',
    ],
    [
      'weight.toml',
      '[generation]\nloraWeight = 9\n',
      { generation: { loraWeight: 1 } },
      'generation.loraWeight: must be at most 4, got 9. Set --weight or generation.loraWeight.',
    ],
  ])('a wrong value in %s is named even when a flag sets that key', (name, text, overrides, message) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    const error = thrownToonloraError(() => loadConfig({ file, overrides }));
    expect(error.code).toBe('TL_ERR_CONFIG');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`${file}: invalid settings\n`);
    expect(error.message).toContain(message);
  });

  it('a file that is only whole after a flag is still an error: dora with a LoKr', () => {
    const file = join(dir, 'dora-lokr.toml');
    writeFileSync(file, '[training.lora]\nalgorithm = "lokr"\n');
    const error = thrownToonloraError(() =>
      loadConfig({ file, overrides: { training: { lora: { dora: true } } } }),
    );
    expect(error.message).toContain(
      'training.lora.dora: dora works with algorithm "lora" only, not "lokr"; turn dora off (no --dora) or train a LoRA (no --lokr).',
    );
    expect(error.message).not.toContain('got true');
  });

  it("a warmup that leaves no training steps at the full rate is refused before the worker starts (Python's check_warmup)", () => {
    const file = join(dir, 'warmup.toml');
    writeFileSync(file, '[training]\nlrWarmupSteps = 10\n');
    const error = thrownToonloraError(() => loadConfig({ file, overrides: { training: { steps: 10 } } }));
    expect(error.code).toBe('TL_ERR_CONFIG');
    expect(error.message).toContain(
      'training.lrWarmupSteps: 10 warmup steps leave none of the 10 training steps at the full rate; lower it below 10, or raise --steps.',
    );
    expect(error.details).toMatchObject({ issues: ['training.lrWarmupSteps'] });
    expect(loadConfig({ file, overrides: { training: { steps: 11 } } }).training.lrWarmupSteps).toBe(10);
    // under epochs the step count is known only once the worker has read the dataset; it checks then
    expect(loadConfig({ file, overrides: { training: { epochs: 1 } } }).training.lrWarmupSteps).toBe(10);
  });
  it.each(['lrWarmupSteps', 'sampleEverySteps', 'checkpointEverySteps'])(
    'caps training.%s at the 10,000,000 the worker accepts',
    (field) => {
      expect(parseConfig({ training: { epochs: 1, [field]: 10_000_000 - 1 } }).training).toMatchObject({
        [field]: 10_000_000 - 1,
      });
      const error = thrownToonloraError(() => parseConfig({ training: { [field]: 20_000_000 } }));
      expect(error.message).toContain(`training.${field}: must be at most 10000000, got 20000000.`);
    },
  );

  it('escapes invisible characters of the offending value (C1 controls, zero-width, bidi marks) and cuts a long one', () => {
    const sneaky = 'euler\u202e\u200b\u0085\u2028a';
    const error = thrownToonloraError(() => parseConfig({ generation: { scheduler: sneaky } }));
    expect(error.message).toContain('got "euler\\u202e\\u200b\\u0085\\u2028a". Set --scheduler');
    expect(error.message).not.toMatch(/[\u0085\u200b\u202e\u2028]/);
    const long = thrownToonloraError(() => parseConfig({ generation: { scheduler: 'x'.repeat(100) } }));
    expect(long.message).toContain(`got "${'x'.repeat(56)}...`);
  });

  it('merge ignores __proto__ keys', () => {
    const merged = mergeConfig({}, JSON.parse('{"__proto__": {"polluted": true}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(merged)).toEqual([]);
  });
});
