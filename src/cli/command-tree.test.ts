// Table-driven tests of the whole `toonlora` command tree, in process through runCli (one spawn of
// the real launcher at the end): help for every command, --version, and exit 2 for bad usage.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { DEMO_DEFAULT_STEPS } from '../demo/run-demo.js';
import { MIGRATIONS } from '../jobs/migrations.js';
import { WORKER_PROTOCOL } from '../jobs/remote/protocol.js';
import { generationConfigSchema, prepConfigSchema, trainingConfigSchema } from '../schemas/config.js';
import { withCliTestIo } from './cli-test-io.js';
import { buildProgram, runCli } from './program.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const packageVersion = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
).version;

/** What --version prints: the package version, and the worker protocol and data schema (two builds may say the
 * same package version; these say whether a worker and a server, or a data folder, go together). */
const versionLine = `toonlora ${packageVersion} (worker protocol ${WORKER_PROTOCOL}, data schema ${MIGRATIONS.length})`;

const io = withCliTestIo('toonlora-cli-tree-');

/** Every registered command as its argv path (`['models', 'pull']`) with the command itself. */
function commandPaths(command: Command, prefix: string[] = []): [string, string[], Command][] {
  return command.commands.flatMap((sub) => {
    const path = [...prefix, sub.name()];
    return [[path.join(' '), path, sub] as [string, string[], Command], ...commandPaths(sub, path)];
  });
}

/** Help's option entries: flags -> description, wrapped lines joined with single spaces. */
function optionEntries(help: string): Map<string, string> {
  const entries = new Map<string, string>();
  let current: string | undefined;
  for (const line of help.split('\n')) {
    const start = /^ {2}(-\S.*?)(?: {2,}(.*))?$/.exec(line);
    if (start?.[1]) {
      current = start[1].trim();
      entries.set(current, start[2] ?? '');
    } else if (current && /^ {3,}\S/.test(line)) {
      entries.set(current, `${entries.get(current)} ${line.trim()}`);
    } else {
      current = undefined;
    }
  }
  return entries;
}

const tree = commandPaths(buildProgram());
const groups = tree.filter(([, , command]) => command.commands.length > 0);

describe('every command answers --help', () => {
  it('the tree holds the commands the README names', () => {
    expect(tree.map(([name]) => name)).toEqual(
      expect.arrayContaining(['prep', 'train', 'convert', 'generate', 'serve', 'models', 'models pull']),
    );
  });

  it.each(tree)(
    '%s --help: exit 0, its description and every option with its default',
    async (_, path, command) => {
      expect(await runCli([...path, '--help'])).toBe(0);
      expect(io.stderr).toBe('');
      expect(io.stdout).toContain(`Usage: toonlora ${path.join(' ')}`);
      const description = command.description().split('\n')[0] ?? '';
      expect(description.length).toBeGreaterThan(10);
      expect(io.stdout.replace(/\s+/g, ' ')).toContain(description.replace(/\s+/g, ' '));
      const entries = optionEntries(io.stdout);
      for (const option of command.options) {
        expect(entries.has(option.flags), `${option.flags} in ${path.join(' ')} --help`).toBe(true);
        if (option.defaultValue !== undefined) {
          const shown = option.defaultValueDescription ?? JSON.stringify(option.defaultValue);
          expect(entries.get(option.flags)).toContain(`(default: ${shown})`);
        }
      }
    },
  );
});

describe('top-level --help points to the demo and the docs', () => {
  // before: it ended with the command list, no word on where to start
  it('ends with where to start and where the docs are', async () => {
    expect(await runCli(['--help'])).toBe(0);
    expect(io.stdout).toContain('New here? Run ./toonlora demo first');
    expect(io.stdout).toMatch(/Docs: README\.md and docs\/commands\.md in the toonlora folder\.\n$/);
  });

  it('a command help does not repeat it', async () => {
    expect(await runCli(['train', '--help'])).toBe(0);
    expect(io.stdout).not.toContain('New here?');
  });
});

describe('numeric defaults show as numbers', () => {
  // before: serve --port said (default: "7860"), generate --worker-timeout (default: "300")
  it.each(tree)('%s --help quotes no number', async (_, path) => {
    expect(await runCli([...path, '--help'])).toBe(0);
    expect(io.stdout).not.toMatch(/\(default: "-?\d+(\.\d+)?"\)/);
  });

  it('serve --port and generate --worker-timeout say theirs unquoted', async () => {
    expect(await runCli(['serve', '--help'])).toBe(0);
    expect(optionEntries(io.stdout).get('--port <port>')).toContain('(default: 7860)');
    expect(await runCli(['generate', '--help'])).toBe(0);
    expect(optionEntries(io.stdout).get('--worker-timeout <s>')).toContain('(default: 300)');
  });
});

describe('every option says its default (README: "each option and its default")', () => {
  /** A switch (no value): on or off when not given; those of `models`, `serve`, `setup`, `doctor` included. */
  const switches = tree.flatMap(([name, , command]) =>
    command.options
      .filter((option) => !/[<[]/.test(option.flags) && option.flags !== '-V, --version')
      .map((option) => [name, option.flags] as const),
  );
  it.each(switches)('%s %s', async (name, flags) => {
    expect(await runCli([...name.split(' '), '--help'])).toBe(0);
    expect(optionEntries(io.stdout).get(flags)).toMatch(/\(default: [^)]+\)/);
  });

  it.each([
    ['train', '--epochs <n>', '(default: none: --steps sets the length)'],
    ['generate', '--lora <file>', '(default: none: the base model alone)'],
    ['generate', '--prompt <text>', '(required, or generation.prompt in the --config file)'],
  ])('%s %s says %s', async (command, flags, text) => {
    expect(await runCli([command, '--help'])).toBe(0);
    expect(optionEntries(io.stdout).get(flags)).toContain(text);
  });
});

describe('help shows the config defaults the flags stand for', () => {
  const prep = prepConfigSchema.parse({});
  const training = trainingConfigSchema.parse({});
  const generation = generationConfigSchema.parse({});
  it.each([
    ['prep', '--trigger <word>', prep.trigger],
    ['prep', '--class <word>', prep.classWord],
    ['prep', '--repeats <n>', prep.repeats],
    ['prep', '--resolution <px>', prep.resolution],
    ['train', '--rank <r>', training.lora.rank],
    ['train', '--steps <n>', training.steps],
    ['train', '--lr <x>', training.learningRate],
    ['train', '--base <model>', training.baseModel],
    ['train', '--te-lr <x>', training.textEncoderLearningRate],
    ['generate', '--weight <w>', generation.loraWeight],
    ['generate', '--steps <n>', generation.steps],
    ['generate', '--cfg <x>', generation.guidanceScale],
    ['generate', '--width <px>', generation.width],
    ['generate', '--scheduler <name>', generation.scheduler],
  ])('%s %s says (default: %s)', async (command, flags, value) => {
    expect(await runCli([command, '--help'])).toBe(0);
    expect(optionEntries(io.stdout).get(flags)).toContain(`(default: ${value})`);
  });

  it("demo --steps says each demo plan's steps", async () => {
    expect(await runCli(['demo', '--help'])).toBe(0);
    expect(optionEntries(io.stdout).get('--steps <n>')).toContain(
      `(default: ${DEMO_DEFAULT_STEPS.tiny} on tiny, ${DEMO_DEFAULT_STEPS.real} on a real base)`,
    );
  });
});

describe('version and bad usage', () => {
  it.each([['--version'], ['-V']])(
    '%s prints the version, the worker protocol and the data schema',
    async (flag) => {
      expect(await runCli([flag])).toBe(0);
      expect(io.stdout.trim()).toBe(versionLine);
    },
  );

  it('--version --json prints them as one JSON object', async () => {
    expect(await runCli(['--version', '--json'])).toBe(0);
    expect(JSON.parse(io.stdout)).toEqual({
      toonlora: packageVersion,
      workerProtocol: WORKER_PROTOCOL,
      dataSchema: MIGRATIONS.length,
    });
  });

  it('help <command> exits 0', async () => {
    expect(await runCli(['help', 'train'])).toBe(0);
    expect(io.stdout).toContain('Usage: toonlora train');
  });

  it('no command: usage on io.stderr, exit 2', async () => {
    expect(await runCli([])).toBe(2);
    expect(io.stderr).toContain('Usage: toonlora');
    expect(io.stdout).toBe('');
  });

  it.each(groups.map(([name, path]) => [name, path] as const))(
    '%s without a subcommand: its usage on io.stderr, exit 2',
    async (name, path) => {
      expect(await runCli([...path])).toBe(2);
      expect(io.stderr).toContain(`Usage: toonlora ${name}`);
    },
  );

  it('an unknown command: exit 2 naming it', async () => {
    expect(await runCli(['trian'])).toBe(2);
    expect(io.stderr).toContain("unknown command 'trian'");
  });

  it.each(tree)('%s --no-such-flag: exit 2 naming it', async (_, path, command) => {
    // required options are checked first, so give them
    const required = command.options
      .filter((option) => option.mandatory)
      .flatMap((option) => [option.long ?? '', 'x']);
    expect(await runCli([...path, ...required, '--no-such-flag'])).toBe(2);
    expect(io.stderr).toContain("unknown option '--no-such-flag'");
  });

  it('a usage error with --json also prints the error object on stdout', async () => {
    expect(await runCli(['train', 'ds', '--bogus', '--json'])).toBe(2);
    expect(JSON.parse(io.stdout)).toEqual({
      error: { code: 'TL_ERR_USAGE', message: "unknown option '--bogus'" },
    });
    io.stdout = '';
    expect(await runCli(['prep', 'in', '--json'])).toBe(2); // -o missing
    expect(JSON.parse(io.stdout).error.message).toMatch(/required option '-o, --output <dir>' not specified/);
  });

  it.each([
    ['models', 'pull', 'no-such-model'],
    ['models', 'path', 'no-such-model'],
  ])('%s %s of an unknown id: exit 2 listing the known ids', async (...argv) => {
    expect(await runCli(argv)).toBe(2);
    expect(io.stderr).toContain('unknown id "no-such-model"');
    expect(io.stderr).toContain('[TL_ERR_MODEL_UNKNOWN]');
  });

  it.each([
    [['train', 'ds', '--dry-run', '--rank', 'abc'], '--rank: "abc" is not a number'],
    [['train', 'ds', '--dry-run', '--lr', '1e-4x'], '--lr: "1e-4x" is not a number'],
    [['generate', '-o', 'out', '--seed', '1', 'two'], '--seed: "two" is not a number'],
    [['generate', '-o', 'out', '--cfg', ''], '--cfg: "" is not a number'],
    [['demo', '--steps', 'many'], '--steps: "many" is not a number'],
    [['prep', 'in', '-o', 'out', '--repeats', 'abc'], '--repeats: "abc" is not a number'],
    [['prep', 'in', '-o', 'out', '--resolution', '512px'], '--resolution: "512px" is not a number'],
  ])('%j: exit 2, %s', async (argv, message) => {
    expect(await runCli(argv)).toBe(2);
    expect(io.stderr).toContain(message);
    expect(io.stderr).not.toContain('NaN');
  });

  it('generate without --prompt (nor generation.prompt in a config file): exit 2 naming --prompt, nothing rendered', async () => {
    expect(await runCli(['generate', '-o', join(io.root, 'never-written'), '--base', 'tiny'])).toBe(2);
    expect(io.stderr).toContain('--prompt <text> is required: what to generate, the trigger word first');
    expect(io.stderr).toContain('[TL_ERR_USAGE]');
    expect(io.stdout).toBe('');
  });

  it('train --config with a misspelled key: exit 2 naming the file, the key and the likely one', async () => {
    const file = join(io.root, 'typo.toml');
    writeFileSync(file, '[training]\nrnak = 3\n');
    expect(await runCli(['train', 'ds', '--dry-run', '--config', file])).toBe(2);
    expect(io.stderr).toContain(`${file}: unknown setting`);
    expect(io.stderr).toContain('training.rnak: unknown key; did you mean training.lora.rank?');
    expect(io.stdout).toBe('');
  });
});

describe('the real ./toonlora launcher', () => {
  it('bare: usage on io.stderr, exit 2; --version: the version line, exit 0', () => {
    const launcher = join(repoRoot, 'toonlora');
    const bare = spawnSync(launcher, [], { encoding: 'utf8', timeout: 60_000 });
    expect(bare.status).toBe(2);
    expect(bare.stderr).toContain('Usage: toonlora');
    const version = spawnSync(launcher, ['--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(versionLine);
  });
});
