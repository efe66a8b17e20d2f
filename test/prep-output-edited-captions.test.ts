// test/prep-output-edited-captions.test.ts — `toonlora prep --overwrite` through the real CLI never replaces a
// caption the user edited by hand since prep wrote it: it refuses before touching anything, naming the edited
// files (three, then a count; all of them in --json), and --discard-edits replaces them on purpose.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { drawPanels, writePanelImages } from '../scripts/draw-panels.js';
import { manifestSchema } from '../src/schemas/manifest.js';
import { prepFolder } from './helpers/run-cli.js';

const { root, prep } = prepFolder('prep-edited-captions', 180_000);
let inputs: string;

beforeAll(async () => {
  const [panel] = (await writePanelImages((await drawPanels()).slice(0, 1), join(root, 'drawn'))) as [string];
  inputs = join(root, 'in');
  mkdirSync(inputs);
  for (const name of ['a', 'b', 'c', 'd']) copyFileSync(panel, join(inputs, `${name}.png`));
}, 60_000);

describe('toonlora prep --overwrite and hand-edited captions', () => {
  it('refuses, naming the edited captions and changing nothing; --discard-edits replaces them', () => {
    const out = join(root, 'out');
    const first = prep([inputs, '-o', out, '--keep-duplicates', '--no-save-stages']);
    expect(first.status, first.stderr).toBe(0);
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
    const crops = manifest.files.flatMap((f) => f.crops);
    expect(crops).toHaveLength(4);
    const [same, ...edited] = crops as [(typeof crops)[0], ...typeof crops];
    // saved again without the final newline, same words: not an edit
    writeFileSync(join(out, same.captionFile), same.caption);
    for (const crop of edited) writeFileSync(join(out, crop.captionFile), 'sks, girl, hand edited caption\n');
    const manifestBefore = readFileSync(join(out, 'manifest.json'), 'utf8');

    const refused = prep([
      inputs,
      '-o',
      out,
      '--overwrite',
      '--keep-duplicates',
      '--no-save-stages',
      '--json',
    ]);
    expect(refused.status).toBe(1);
    const files = edited.map((c) => c.captionFile);
    expect(refused.stderr).toContain(
      `you edited 3 captions there since prep wrote them (${files.join(', ')})`,
    );
    expect(refused.stderr).toContain('pass --discard-edits to replace them');
    expect(JSON.parse(refused.stdout).error).toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
      editedCaptions: files,
    });
    for (const crop of edited)
      expect(readFileSync(join(out, crop.captionFile), 'utf8')).toBe('sks, girl, hand edited caption\n');
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(manifestBefore);

    // a fourth edit: three named, then a count
    writeFileSync(join(out, same.captionFile), 'sks, girl, mine too\n');
    const four = prep([inputs, '-o', out, '--overwrite', '--keep-duplicates', '--no-save-stages']);
    expect(four.stderr).toMatch(/you edited 4 captions there since prep wrote them \([^)]*, and 1 more\)/);

    const replaced = prep([
      inputs,
      '-o',
      out,
      '--overwrite',
      '--discard-edits',
      '--keep-duplicates',
      '--no-save-stages',
    ]);
    expect(replaced.status, replaced.stderr).toBe(0);
    for (const crop of crops)
      expect(readFileSync(join(out, crop.captionFile), 'utf8')).toBe(`${crop.caption}\n`);
  }, 600_000);
});
