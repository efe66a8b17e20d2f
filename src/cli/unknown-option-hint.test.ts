// src/cli/unknown-option-hint.test.ts — an unknown option that names a setting of the command says where that setting
// lives: the config key (with a TOML line) when it has no flag, the flag when it has one; other typos get no hint.
import { describe, expect, it } from 'vitest';
import { withCliTestIo } from './cli-test-io.js';
import { runCli, usageErrorMessage } from './program.js';
import { unknownOptionHint } from './unknown-option-hint.js';

const io = withCliTestIo('tl-unknown-option-');

describe('unknownOptionHint', () => {
  it.each([
    ['--resolution', '256', 'training.resolution', 'under [training]: resolution = 256'],
    ['--batch-size=4', undefined, 'training.batchSize', 'under [training]: batchSize = 4'],
    ['--sample-every', '-o', 'training.sampleEverySteps', 'under [training]: sampleEverySteps = 250'],
    ['--save-every', '100', 'training.checkpointEverySteps', 'checkpointEverySteps = 100'],
    ['--seed', '7', 'training.seed', 'seed = 7'],
    ['--grad-accum', '2', 'training.gradientAccumulation', 'gradientAccumulation = 2'],
    ['--no-shuffle-captions', 'ds', 'training.shuffleCaptions', 'shuffleCaptions = false'],
    ['--target-modules', 'x', 'training.lora.targetModules', 'under [training.lora]: targetModules = ['],
  ])('train %s names %s', (option, given, field, toml) => {
    const hint = unknownOptionHint('train', option, given);
    expect(hint).toContain(`is a config-file setting, not a flag: set ${field} in a --config file`);
    expect(hint).toContain(toml);
  });

  it('names the flag a key has, and gives no hint for an option that is no setting', () => {
    expect(unknownOptionHint('train', '--learning-rate', '1e-4')).toBe(
      '--learning-rate is not a train option: training.learningRate is set with --lr.',
    );
    expect(unknownOptionHint('generate', '--guidance-scale')).toBe(
      '--guidance-scale is not a generate option: generation.guidanceScale is set with --cfg.',
    );
    expect(unknownOptionHint('generate', '--clip-skip', '1')).toContain(
      'set generation.clipSkip in a --config file',
    );
    expect(unknownOptionHint('train', '--bogus')).toBeNull();
    expect(unknownOptionHint('serve', '--resolution')).toBeNull();
  });
});

describe('toonlora train --resolution', () => {
  it('is a usage error (2) whose message names the config key, on stderr and in the --json error', async () => {
    expect(await runCli(['train', 'ds', '--base', 'tiny', '--resolution', '256', '--json'])).toBe(2);
    expect(io.stderr).toContain("unknown option '--resolution'");
    expect(io.stderr).toContain(
      '--resolution is a config-file setting, not a flag: set training.resolution in a --config file (in TOML, under [training]: resolution = 256).',
    );
    // before: "unknown option '--resolution' --resolution is a config-file setting…", two sentences run together
    expect(JSON.parse(io.stdout).error.message).toBe(
      "unknown option '--resolution'. --resolution is a config-file setting, not a flag: set training.resolution in a --config file (in TOML, under [training]: resolution = 256).",
    );
  });

  it('keeps a message without a hint, or with a suggestion, as commander words it, on one line', () => {
    expect(usageErrorMessage("error: unknown option '--bogus'", null)).toBe("unknown option '--bogus'");
    expect(usageErrorMessage("error: unknown option '--stepz'\n(Did you mean --steps?)", 'hint.')).toBe(
      "unknown option '--stepz' (Did you mean --steps?) hint.",
    );
  });
});
