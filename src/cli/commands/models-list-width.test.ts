// Tests of `toonlora models list` on terminals of 80 and 120 columns and off a terminal (100): before, its last
// column (a model's path, or what is lost without it) made lines of 160-220 characters. Now every line fits, a path
// too long for a line is on a line of its own, whole, and no id is cut.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeModels } from '../../models/model-status.js';
import { withCliTestIo } from '../cli-test-io.js';
import { runCli } from '../program.js';

const io = withCliTestIo('toonlora-cli-models-width-');

/** Makes stdout look like a terminal of `columns` (undefined: no terminal, as when piped). */
function stdoutColumns(columns: number | undefined): void {
  if (columns === undefined) return;
  Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
  Object.defineProperty(process.stdout, 'columns', { value: columns, configurable: true });
}
afterEach(() => {
  for (const key of ['isTTY', 'columns']) delete (process.stdout as unknown as Record<string, unknown>)[key];
});

/** `models list` printed at `columns`, with a stopped pull of u2net (its cell's longest text). */
async function listAt(columns: number | undefined): Promise<string[]> {
  const part = join(io.root, 'tl', 'models', 'u2net', 'u2net.onnx.part');
  mkdirSync(join(part, '..'), { recursive: true });
  writeFileSync(part, Buffer.alloc(1_500_000));
  stdoutColumns(columns);
  expect(await runCli(['models', 'list'])).toBe(0);
  return io.stdout.trimEnd().split('\n');
}

describe.each([
  { columns: 80, on: 'an 80-column terminal' },
  { columns: 120, on: 'a 120-column terminal' },
  { columns: undefined, on: 'no terminal (100 columns)' },
])('toonlora models list on $on', ({ columns }) => {
  const width = columns ?? 100;

  it('fits every line, a path too long for one on a line of its own', async () => {
    const lines = await listAt(columns);
    const over = lines.filter((line) => line.length > width);
    // only a path alone on its indented line may be wider than the terminal: it is never cut
    for (const line of over) expect(line).toMatch(/^ +\/\S+$/);
    for (const model of describeModels()) {
      // each model's row starts with its present cell and its whole id
      expect(lines.some((line) => line.split(/ {2,}/)[1] === model.id)).toBe(true);
      if (model.path) {
        expect(lines.some((line) => line.trimStart().startsWith(model.path as string))).toBe(true);
      }
    }
    // wrapped text reads back whole, its words in order
    const words = lines.map((line) => line.trim()).join(' ');
    expect(words).toContain(
      'missing: prep --segmenter u2net fails (auto uses isnet-anime or classic); 1.5 MB',
    );
    expect(words).toContain('downloaded, `toonlora models pull u2net` resumes');
    expect(words).toContain(
      '* anime-person-detector license: MIT (model card); trained with Ultralytics YOLOv8, whose authors claim AGPL-3.0 for such models',
    );
  });
});

describe('toonlora models list --json', () => {
  it('is the same JSON on any terminal width', async () => {
    stdoutColumns(80);
    expect(await runCli(['models', 'list', '--json'])).toBe(0);
    expect(JSON.parse(io.stdout)).toEqual(JSON.parse(JSON.stringify(describeModels())));
  });
});
