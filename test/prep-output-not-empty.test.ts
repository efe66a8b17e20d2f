// test/prep-output-not-empty.test.ts — a prep refused because its output folder is not empty says what is in it: a
// previous prep output (also one that made no crop: its manifest.json alone) is named as such, with --overwrite to
// replace it; the user's own files are named as not a prep output, and --overwrite leaves them as they are.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPrep } from '../src/prep/pipeline.js';
import { prepOutputFixture, writtenDataset } from './helpers/prep-output-setup.js';

const { root, emptyCache, drawn } = prepOutputFixture();

describe('prep into a folder that is not empty', () => {
  it('after a run that made no crop: names its manifest.json as a previous prep output, and --overwrite replaces it', async () => {
    const fake = join(root, 'fake.png');
    writeFileSync(fake, 'not a picture\n');
    const out = join(root, 'no-crop-before');
    const empty = await runPrep({ inputs: [fake], outDir: out, cache: emptyCache });
    expect(empty.manifest.summary.crops).toBe(0);
    const refusal = runPrep({ inputs: [drawn.panel], outDir: out, cache: emptyCache });
    await expect(refusal).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
      message: `${out}: holds a previous prep output (manifest.json). Pass --overwrite to replace it, or choose an empty or new -o folder.`,
    });
    const again = await runPrep({ inputs: [drawn.panel], outDir: out, cache: emptyCache, overwrite: true });
    expect(readdirSync(writtenDataset(again)).length).toBeGreaterThan(0);
  }, 60_000);

  it("names the user's files (first five, then a count) as not a prep output; --overwrite writes beside them, leaving them as they are", async () => {
    const out = join(root, 'users-files');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine\n');
    await expect(runPrep({ inputs: [drawn.panel], outDir: out, cache: emptyCache })).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
      message: `${out}: the output folder holds 1 entry that is not a prep output (notes.txt). Choose an empty or new -o folder (with --overwrite, prep writes its output beside them and leaves them as they are).`,
    });
    for (const name of ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'mine.jpg']) writeFileSync(join(out, name), name);
    await expect(runPrep({ inputs: [drawn.panel], outDir: out, cache: emptyCache })).rejects.toMatchObject({
      message: expect.stringContaining(
        '6 entries that are not a prep output (a.jpg, b.jpg, c.jpg, d.jpg, mine.jpg, and 1 more)',
      ),
    });
    const written = await runPrep({ inputs: [drawn.panel], outDir: out, cache: emptyCache, overwrite: true });
    expect(readdirSync(writtenDataset(written)).length).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine\n');
    expect(readFileSync(join(out, 'mine.jpg'), 'utf8')).toBe('mine.jpg');
    // a previous output and the user's files beside it: each named as what it is
    await expect(runPrep({ inputs: [drawn.panel], outDir: out, cache: emptyCache })).rejects.toMatchObject({
      message: `${out}: holds a previous prep output (10_sks girl, manifest.json) and 6 entries that are not a prep output (a.jpg, b.jpg, c.jpg, d.jpg, mine.jpg, and 1 more). Pass --overwrite to replace the prep output (your files are left as they are), or choose an empty or new -o folder.`,
    });
  }, 60_000);
});

describe('prep into a folder holding a folder of the name prep writes, with no manifest', () => {
  it('says --overwrite would refuse it too (your stages/ folder), and --overwrite then refuses it', async () => {
    const out = join(root, 'users-stages');
    mkdirSync(join(out, 'stages'), { recursive: true });
    writeFileSync(join(out, 'stages', 'my-notes.txt'), 'mine\n');
    writeFileSync(join(out, 'notes.txt'), 'mine\n');
    await expect(runPrep({ inputs: [drawn.panel], outDir: out, cache: emptyCache })).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
      message: `${out}: the output folder holds 2 entries that are not a prep output (notes.txt, stages). Choose an empty or new -o folder; --overwrite would refuse it too, as prep writes its own stages there and it holds files no prep run recorded (move stages out of the folder to use it with --overwrite).`,
    });
    await expect(
      runPrep({ inputs: [drawn.panel], outDir: out, cache: emptyCache, overwrite: true }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
      message: expect.stringContaining(
        `it holds files no previous prep run recorded: ${join('stages', 'my-notes.txt')}`,
      ),
    });
  }, 60_000);

  it("names a folder of the dataset folder's name, and a manifest.json that is not prep's, as what --overwrite refuses", async () => {
    const out = join(root, 'users-dataset-name');
    mkdirSync(join(out, '10_sks girl'), { recursive: true });
    writeFileSync(join(out, '10_sks girl', 'mine.png'), 'mine');
    writeFileSync(join(out, 'manifest.json'), '{"mine": true}\n');
    await expect(runPrep({ inputs: [drawn.panel], outDir: out, cache: emptyCache })).rejects.toMatchObject({
      message: `${out}: the output folder holds 2 entries that are not a prep output (10_sks girl, manifest.json). Choose an empty or new -o folder; --overwrite would refuse it too, as its manifest.json is not a prep manifest, and prep writes its own 10_sks girl there and it holds files no prep run recorded (move manifest.json, 10_sks girl out of the folder to use it with --overwrite).`,
    });
    await expect(
      runPrep({ inputs: [drawn.panel], outDir: out, cache: emptyCache, overwrite: true }),
    ).rejects.toMatchObject({ message: expect.stringContaining('its manifest.json is not a prep manifest') });
  }, 60_000);
});
