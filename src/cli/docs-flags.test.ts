// src/cli/docs-flags.test.ts — docs/commands.md against each command's --help: every flag a command takes is in its
// `## toonlora <command>` section, and where the synopsis lists the flags (serve, worker, doctor, setup, demo,
// inspect) in that synopsis itself. A flag added without docs fails here. Before, `serve`'s synopsis lacked
// --remote-workers and --worker-lease, and doctor / setup / demo lacked --json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './program.js';

const commandsDoc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'commands.md'), 'utf8');

/** Commands whose synopsis names every flag they take. */
const FULL_SYNOPSIS = new Set(['serve', 'worker', 'doctor', 'setup', 'demo', 'inspect']);
/**
 * Flags the top of commands.md documents for every command ("`--json` where it reports results", "`--config
 * toonlora.toml`"): a command's own section need not repeat them, unless its synopsis lists every flag.
 */
const DOCUMENTED_FOR_ALL = new Set(['--json', '--config']);

/** The `## toonlora <name>` section of commands.md, up to the next `## ` heading ('' when there is none). */
function section(name: string): string {
  const start = commandsDoc.indexOf(`\n## toonlora ${name}\n`);
  if (start < 0) return '';
  const end = commandsDoc.indexOf('\n## ', start + 1);
  return commandsDoc.slice(start, end < 0 ? undefined : end);
}

/** The section's synopsis: its first fenced block. */
function synopsis(text: string): string {
  return /```\n([\s\S]*?)\n```/.exec(text)?.[1] ?? '';
}

/** Whether `flag` (`--lokr`, `-o`) appears as a whole flag in `text` (`--lokr-factor` is not `--lokr`). */
function names(text: string, flag: string): boolean {
  const escaped = flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w-])${escaped}(?![\\w-])`).test(text);
}

/** A command's flags and those of its subcommands (`models pull --revision`), each as [long, short?]. */
function flagsOf(command: Command): [string, string | undefined][] {
  const all = [command, ...command.commands].flatMap((c) => c.options);
  const unique = new Map(all.map((o) => [o.long ?? o.flags, o.short]));
  return [...unique];
}

describe('docs/commands.md names every flag --help lists', () => {
  const commands = buildProgram().commands.map((c) => [c.name(), c] as const);

  it('has a section for every command', () => {
    expect(commands.filter(([name]) => section(name) === '').map(([name]) => name)).toEqual([]);
  });

  it.each(commands)('%s', (name, command) => {
    const text = section(name);
    const full = FULL_SYNOPSIS.has(name);
    const where = full ? synopsis(text) : text;
    const missing = flagsOf(command)
      .filter(([long]) => full || !DOCUMENTED_FOR_ALL.has(long))
      .filter(([long, short]) => !names(where, long) && !(short && names(where, short)))
      .map(([long]) => long);
    expect(
      missing,
      `${name}: flags --help lists that docs/commands.md's ${full ? 'synopsis' : 'section'} lacks`,
    ).toEqual([]);
  });
});
