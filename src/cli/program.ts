// src/cli/program.ts — builds the `toonlora` command tree. Each subcommand lives in
// src/cli/commands/<name>.ts, maps its flags to the library's options and makes one library call.
import { Command, CommanderError } from 'commander';
import { registerConvert } from './commands/convert.js';
import { registerDemo } from './commands/demo.js';
import { registerDoctor } from './commands/doctor.js';
import { registerGenerate } from './commands/generate.js';
import { registerInspect } from './commands/inspect.js';
import { registerModels } from './commands/models.js';
import { registerPrep } from './commands/prep.js';
import { registerServe } from './commands/serve.js';
import { registerSetup } from './commands/setup.js';
import { registerTrain } from './commands/train.js';
import { registerWorker } from './commands/worker.js';
import { unknownOptionHint } from './unknown-option-hint.js';
import { VERSION_FACTS, versionLine, wantsJsonVersion } from './version-line.js';

/** What `toonlora --help` ends with: where to start and where the docs are (the subcommands' help does not repeat it). */
export const TOP_LEVEL_EPILOGUE = [
  '',
  'New here? Run ./toonlora demo first: the whole chain (prep, train, convert, inspect, generate) on the bundled',
  'example screenshots, offline, on a CPU. Then toonlora doctor says what is missing for your own runs.',
  'Each command: toonlora <command> --help. Docs: README.md and docs/commands.md in the toonlora folder.',
].join('\n');

/** The whole CLI; `exitOverride` maps commander's usage errors to exit code 2. */
export function buildProgram(): Command {
  const program = new Command('toonlora')
    .description(
      'Manga / webtoon screenshots of one character -> clean captioned dataset -> Stable Diffusion LoRA ' +
        '-> a file the WebUI, ComfyUI, Civitai and diffusers load -> images.',
    )
    .version(
      versionLine(),
      '-V, --version',
      'print the version, the worker protocol and the data schema (with --json: as JSON)',
    )
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', TOP_LEVEL_EPILOGUE)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .exitOverride();

  registerDemo(program);
  registerPrep(program);
  registerTrain(program);
  registerConvert(program);
  registerInspect(program);
  registerGenerate(program);
  registerServe(program);
  registerWorker(program);
  registerModels(program);
  registerDoctor(program);
  registerSetup(program);

  for (const command of program.commands) command.exitOverride();
  showNumericDefaultsAsNumbers(program);
  return program;
}

/**
 * A default given as a string of digits (commander keeps option values as strings: `--port` `'7860'`) shows in
 * --help as the number it is, `(default: 7860)`, not commander's JSON `(default: "7860")`; every command and
 * subcommand, whoever declared the option.
 */
export function showNumericDefaultsAsNumbers(command: Command): void {
  for (const option of command.options) {
    const value = option.defaultValue;
    if (
      option.defaultValueDescription === undefined &&
      typeof value === 'string' &&
      /^-?\d+(\.\d+)?$/.test(value)
    ) {
      option.defaultValueDescription = value;
    }
  }
  for (const sub of command.commands) showNumericDefaultsAsNumbers(sub);
}

/**
 * Exit code for commander's own exits: `--help`, `--version` and `help <command>` end 0; usage errors
 * and the usage commander prints for a missing (sub)command (`toonlora`, `toonlora models`) end 2.
 */
export function commanderExitCode(error: CommanderError): 0 | 2 {
  return error.exitCode === 0 ? 0 : 2;
}

/**
 * The hint for commander's "unknown option '--resolution'" of a `train` / `generate` / `prep` command line: where
 * that setting lives (unknownOptionHint), or null.
 */
export function unknownOptionHintFor(message: string, argv: readonly string[]): string | null {
  const option = /unknown option '([^']+)'/.exec(message)?.[1];
  const command = argv.find((arg) => !arg.startsWith('-'));
  if (!option || !command) return null;
  const at = argv.indexOf(option);
  return unknownOptionHint(command, option, at >= 0 ? argv[at + 1] : undefined);
}

/**
 * The one-line message of a --json usage error: commander's own (its `error: ` dropped, a suggestion on its second
 * line joined on), ended with a full stop, then the hint, so the two read as two sentences.
 */
export function usageErrorMessage(commanderMessage: string, hint: string | null): string {
  const own = commanderMessage
    .replace(/^error: /, '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
  if (!hint) return own;
  return `${/[.?!)]$/.test(own) ? own : `${own}.`} ${hint}`;
}

/** Runs the CLI on argv; returns the process exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  if (wantsJsonVersion(argv)) {
    process.stdout.write(`${JSON.stringify(VERSION_FACTS)}\n`);
    return 0;
  }
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    const code = commanderExitCode(error);
    const hint = error.code === 'commander.unknownOption' ? unknownOptionHintFor(error.message, argv) : null;
    if (hint) process.stderr.write(`${hint}\n`);
    // commander printed the usage error on stderr; a --json caller reads stdout, so it gets one too
    if (code !== 0 && argv.includes('--json')) {
      const message = usageErrorMessage(error.message, hint);
      process.stdout.write(`${JSON.stringify({ error: { code: 'TL_ERR_USAGE', message } })}\n`);
    }
    return code;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
