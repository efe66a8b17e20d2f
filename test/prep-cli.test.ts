// `toonlora prep` through the real CLI: flags reach the dataset (folder name, resolution, captions),
// and bad usage (an -o that is a file, a folder without images, an empty --trigger) ends with one
// clear error and exit 2 before anything is written; per-file reasons name the file once; --workers.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { drawPanels, writePanelImages } from '../scripts/draw-panels.js';
import { manifestSchema } from '../src/schemas/manifest.js';
import { readImageHeader } from '../src/vision/sharp-io.js';
import { prepFolder } from './helpers/run-cli.js';

const repo = new URL('..', import.meta.url).pathname;
const { root, env, prep } = prepFolder('prep-cli', 120_000);
let panel: string;

beforeAll(async () => {
  [panel] = (await writePanelImages((await drawPanels()).slice(0, 1), join(root, 'in'))) as [string];
}, 60_000);

describe('toonlora prep flags', () => {
  it('--trigger, --class, --repeats and --resolution shape the dataset; --json prints the result', async () => {
    const run = prep([
      panel,
      '-o',
      join(root, 'flags'),
      '--trigger',
      'zqx',
      '--class',
      'boy',
      '--repeats',
      '3',
      '--resolution',
      '256',
      '--json',
    ]);
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.datasetDir).toBe(join(root, 'flags', '3_zqx boy'));
    // the crops' quality warnings (none on this panel) and their count are in the JSON
    expect(result.manifest.summary.warnings).toBe(0);
    expect(result.manifest.files[0].crops[0].warnings).toEqual([]);
    const manifest = manifestSchema.parse(
      JSON.parse(readFileSync(join(root, 'flags', 'manifest.json'), 'utf8')),
    );
    expect(manifest.datasetDir).toBe('3_zqx boy');
    expect(manifest.settings).toMatchObject({
      trigger: 'zqx',
      classWord: 'boy',
      repeats: 3,
      resolution: 256,
    });
    const [crop] = manifest.files[0]?.crops ?? [];
    expect(crop?.image).toMatch(/^3_zqx boy\/.+\.png$/);
    const header = await readImageHeader(join(root, 'flags', crop?.image ?? ''));
    expect([header.width, header.height]).toEqual([256, 256]);
    expect(readFileSync(join(root, 'flags', crop?.captionFile ?? ''), 'utf8')).toBe('zqx, boy\n');
    // each stage's image is kept for review by default (SPEC §1); --no-save-stages skips them
    expect(existsSync(join(root, 'flags', 'stages')), 'stages/ by default').toBe(true);
  }, 120_000);

  it('--no-save-stages writes the dataset without the stage images', () => {
    const run = prep([panel, '-o', join(root, 'no-stages'), '--no-save-stages']);
    expect(run.status, run.stderr).toBe(0);
    expect(existsSync(join(root, 'no-stages', 'manifest.json'))).toBe(true);
    expect(existsSync(join(root, 'no-stages', 'stages'))).toBe(false);
  }, 120_000);

  it('--workers 2 starts a worker thread through the launcher (no start failure) and records the setting', () => {
    const two = join(root, 'two-in');
    mkdirSync(two);
    copyFileSync(panel, join(two, 'a.png'));
    copyFileSync(panel, join(two, 'b.png'));
    const run = prep([two, '-o', join(root, 'two-workers'), '--workers', '2', '--keep-duplicates']);
    expect(run.status, run.stderr).toBe(0);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/did not start|exited/);
    const manifest = manifestSchema.parse(
      JSON.parse(readFileSync(join(root, 'two-workers', 'manifest.json'), 'utf8')),
    );
    expect(manifest.settings.workers).toBe(2);
    expect(manifest.files.map((f) => f.status)).toEqual(['ok', 'ok']);
  }, 120_000);

  it('prints a failed file name once, with its reason', () => {
    writeFileSync(join(root, 'notes.png'), 'not a picture\n');
    const run = prep([join(root, 'notes.png'), panel, '-o', join(root, 'named-once')]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^ {2}error +notes\.png: it looks like a text file, not an image \(its first line reads/m,
    );
    expect(run.stdout).not.toMatch(/notes\.png: notes\.png/);
  }, 120_000);
});

describe('toonlora prep bad usage (exit 2) or nothing to prep (exit 1): one error, nothing written', () => {
  it('-o naming an existing file', () => {
    const file = join(root, 'taken.txt');
    writeFileSync(file, 'mine\n');
    const run = prep([panel, '-o', file]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      `toonlora prep: ${file}: this is a file, not a folder. Choose a new or empty folder you can write to for -o. [TL_ERR_USAGE]\n`,
    );
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
  });

  it('an input folder without image files names the folder and the extensions', () => {
    const empty = join(root, 'no-images');
    mkdirSync(empty);
    writeFileSync(join(empty, 'readme.txt'), 'hi\n');
    const run = prep([empty, '-o', join(root, 'never')]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^toonlora prep: \/.*\/no-images: no image files found \(looked for \.png \.jpg .*\.avif .*\.bmp, in subfolders too\)/,
    );
    expect(existsSync(join(root, 'never'))).toBe(false);
  });

  it('an empty input folder and a missing path: each said as such, with the same exit code (1)', () => {
    const empty = join(root, 'nothing-here');
    mkdirSync(empty);
    const run = prep([empty, '-o', join(root, 'never')]);
    expect([run.status, run.stderr]).toEqual([
      1,
      `toonlora prep: ${empty}: no files in it. Point prep at the folder that holds your screenshots. [TL_ERR_INPUT_NOT_FOUND]\n`,
    ]);
    const missing = prep([join(root, 'no-such'), '-o', join(root, 'never')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no-such: no such file or folder\./);
    expect(existsSync(join(root, 'never'))).toBe(false);
  });

  it('--workers that is not a number or below 1', () => {
    const words = prep([panel, '-o', join(root, 'never'), '--workers', 'many']);
    expect(words.status).toBe(2);
    expect(words.stderr).toMatch(/--workers: "many" is not a number/);
    const zero = prep([panel, '-o', join(root, 'never'), '--workers', '0']);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toMatch(/prep\.workers/);
    expect(existsSync(join(root, 'never'))).toBe(false);
  });

  it("--trigger '' is one error", () => {
    const run = prep([panel, '-o', join(root, 'never'), '--trigger', '']);
    expect(run.status).toBe(2);
    expect(run.stderr.split('\n').filter((line) => line.startsWith('prep.trigger'))).toHaveLength(1);
    expect(run.stderr).toMatch(/prep\.trigger: must not be empty, got ""\. Set --trigger or prep\.trigger\./);
    expect(run.stderr).not.toMatch(/one word/);
    expect(existsSync(join(root, 'never'))).toBe(false);
  });
});

describe('toonlora prep triggers and empty results', () => {
  it('--trigger with a space is refused: the folder name would cut it at the space', () => {
    const run = prep([panel, '-o', join(root, 'never'), '--trigger', 'sks girl']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/prep\.trigger: one word: no spaces .*, got "sks girl"\. Set --trigger/);
    expect(existsSync(join(root, 'never'))).toBe(false);
  });

  it('when no file gives a crop, it exits 1 and names no dataset folder', () => {
    writeFileSync(join(root, 'blank.png'), 'not a picture either\n');
    const run = prep([join(root, 'blank.png'), '-o', join(root, 'no-crops')]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^dataset: {2}none written \(no crop\)$/m);
  }, 60_000);
});

describe('toonlora prep stopped with Ctrl-C', () => {
  it('stops between files, writes the manifest with cancelled: true, and exits 1', async () => {
    const inputs = join(root, 'many');
    mkdirSync(inputs, { recursive: true });
    for (let i = 0; i < 6; i++) writeFileSync(join(inputs, `p${i}.png`), readFileSync(panel));
    const out = join(root, 'stopped');
    const child = spawn(join(repo, 'toonlora'), ['prep', inputs, '-o', out], { cwd: root, env });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    // The first line on stderr (the stage choices) comes once the run has started: stop it there.
    child.stderr.on('data', (chunk) => {
      if (!stderr) child.kill('SIGINT');
      stderr += chunk;
    });
    const status = await new Promise<number | null>((done) => child.on('close', done));
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
    expect(manifest.cancelled, stderr).toBe(true);
    expect(manifest.files.length).toBeLessThan(6);
    expect(status).toBe(1); // stopped early: `prep ... && train ...` must not go on with part of the set
    // said at once, and the summary counts the files never started
    expect(stderr).toContain(
      'toonlora prep: stopping after the files in progress… (Ctrl-C again to stop at once',
    );
    const left = 6 - manifest.files.length;
    expect(stdout).toContain(`cancelled: ${left} file${left === 1 ? ' was' : 's were'} not processed`);
  }, 120_000);
});
