import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { thrownToonloraError } from '../errors-testing.js';
import { decodeImage } from './decode.js';
import { collectInputFiles } from './inputs.js';

/** A fresh temp folder holding empty files at the given relative paths. */
function folderWith(names: readonly string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'toonlora-inputs-'));
  for (const name of names) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), '');
  }
  return root;
}

const PREP_MANIFEST = JSON.stringify({
  version: 1,
  createdAt: '2024-01-01T00:00:00.000Z',
  datasetDir: '10_sks girl',
  files: [],
});

describe('collectInputFiles', () => {
  it('walks folders for images in natural order, keeps explicit files, skips the output folder', () => {
    const root = folderWith([
      'p10.png',
      'p2.jpg',
      'notes.txt',
      'sub/p1.webp',
      'out/old.png',
      '.hidden/x.png',
    ]);
    expect(
      collectInputFiles([root, join(root, 'notes.txt'), join(root, 'p2.jpg')], join(root, 'out')),
    ).toEqual([
      join(root, 'p2.jpg'),
      join(root, 'p10.png'),
      join(root, 'sub/p1.webp'),
      join(root, 'notes.txt'),
    ]);
  });

  it('collects .bmp from a folder (decode names it and says to convert it) and keeps a named one', () => {
    const root = folderWith(['a.png', 'b.bmp']);
    expect(collectInputFiles([root], join(root, 'out'))).toEqual([join(root, 'a.png'), join(root, 'b.bmp')]);
    expect(collectInputFiles([join(root, 'b.bmp')], join(root, 'out'))).toEqual([join(root, 'b.bmp')]);
  });

  it('collects the other extensions sharp reads: .jfif, .jpe, .heic, .heif (any case)', () => {
    const root = folderWith(['a.jfif', 'b.JPE', 'c.heic', 'd.HEIF', 'e.avif']);
    expect(collectInputFiles([root], join(root, 'out'))).toEqual(
      ['a.jfif', 'b.JPE', 'c.heic', 'd.HEIF', 'e.avif'].map((name) => join(root, name)),
    );
  });

  it('leaves out hidden files, macOS AppleDouble files and __MACOSX folders', () => {
    const root = folderWith([
      'a.png',
      '._a.png',
      '.thumb.png',
      '__MACOSX/._b.png',
      '__MACOSX/b.png',
      'sub/._c.png',
      'sub/c.png',
    ]);
    const told: [string, string][] = [];
    expect(collectInputFiles([root], join(root, 'out'), (line, path) => told.push([line, path]))).toEqual([
      join(root, 'a.png'),
      join(root, 'sub/c.png'),
    ]);
    // each named, as the earlier prep outputs are (a .DS_Store, no image, is not worth a line)
    expect(told).toEqual([
      [
        `${join(root, '__MACOSX')}: left out, macOS metadata a zip carries (__MACOSX), not screenshots.`,
        join(root, '__MACOSX'),
      ],
      [
        `${join(root, '._a.png')}: left out, a macOS metadata file (._name), not a screenshot.`,
        join(root, '._a.png'),
      ],
      [
        `${join(root, '.thumb.png')}: left out, a hidden file (its name starts with a dot). Rename it to prep it.`,
        join(root, '.thumb.png'),
      ],
      [
        `${join(root, 'sub/._c.png')}: left out, a macOS metadata file (._name), not a screenshot.`,
        join(root, 'sub/._c.png'),
      ],
    ]);
  });

  it('names a hidden folder and the hidden files past the first five in one line, and ignores .DS_Store', () => {
    const root = folderWith([
      'a.png',
      '.DS_Store',
      '.cache/x.png',
      ...[1, 2, 3, 4, 5].map((i) => `.h${i}.png`),
    ]);
    const told: string[] = [];
    expect(collectInputFiles([root], join(root, 'out'), (line) => told.push(line))).toEqual([
      join(root, 'a.png'),
    ]);
    expect(told).toEqual([
      `${join(root, '.cache')}: left out, a hidden folder (its name starts with a dot). Rename it to prep it.`,
      ...[1, 2, 3, 4].map(
        (i) =>
          `${join(root, `.h${i}.png`)}: left out, a hidden file (its name starts with a dot). Rename it to prep it.`,
      ),
      '... and 1 more hidden or __MACOSX entries left out (not screenshots).',
    ]);
  });

  it('names the hidden entries it left out when nothing else is found', () => {
    const root = folderWith(['__MACOSX/._a.png', '.b.png']);
    const error = thrownToonloraError(() => collectInputFiles([root], join(root, 'out')));
    expect(error.message).toContain(
      `Left out ${join(root, '__MACOSX')}, ${join(root, '.b.png')}: hidden or macOS metadata (__MACOSX).`,
    );
  });

  it('follows symlinks to images and folders, by the link name, without looping', () => {
    const root = folderWith([
      'real/p1.png',
      'elsewhere/p2.png',
      'elsewhere/deeper/p3.png',
      'shots/notes.txt',
    ]);
    symlinkSync(join(root, 'real/p1.png'), join(root, 'shots/link1.png'));
    symlinkSync(join(root, 'elsewhere'), join(root, 'shots/linked-folder'));
    symlinkSync(join(root, 'shots'), join(root, 'shots/loop')); // a cycle back to the folder being walked
    symlinkSync(join(root, 'elsewhere'), join(root, 'elsewhere/deeper/up')); // and one further down
    symlinkSync(join(root, 'real/p1.png'), join(root, 'shots/text-named.txt')); // not an image name
    expect(collectInputFiles([join(root, 'shots')], join(root, 'out'))).toEqual([
      join(root, 'shots/link1.png'),
      join(root, 'shots/linked-folder/deeper/p3.png'),
      join(root, 'shots/linked-folder/p2.png'),
    ]);
  });

  it('lists a folder of only symlinks to images', () => {
    const root = folderWith(['real/a.png', 'real/b.jpg']);
    mkdirSync(join(root, 'links'));
    symlinkSync(join(root, 'real/a.png'), join(root, 'links/a.png'));
    symlinkSync(join(root, 'real/b.jpg'), join(root, 'links/b.jpg'));
    expect(collectInputFiles([join(root, 'links')], join(root, 'out'))).toEqual([
      join(root, 'links/a.png'),
      join(root, 'links/b.jpg'),
    ]);
  });

  it('lists a broken symlink with an image name, which decode then reports as that file not found', async () => {
    const root = folderWith(['shots/a.png']);
    symlinkSync(join(root, 'gone.png'), join(root, 'shots/broken.png'));
    symlinkSync(join(root, 'gone.txt'), join(root, 'shots/broken.txt'));
    const files = collectInputFiles([join(root, 'shots')], join(root, 'out'));
    expect(files).toEqual([join(root, 'shots/a.png'), join(root, 'shots/broken.png')]);
    await expect(decodeImage(join(root, 'shots/broken.png'), { maxPixels: 1e6 })).rejects.toMatchObject({
      code: 'TL_ERR_IMAGE_DECODE',
      message: 'broken.png: cannot read the file: no such file or folder (ENOENT).',
      details: { reason: 'not-found' },
    });
  });

  it('keeps a symlink loop named on the command line as a file, which decode reports in words; the others go on', async () => {
    const root = folderWith(['a.png', 'shots/b.png']);
    symlinkSync(join(root, 'self-b.png'), join(root, 'self-a.png'));
    symlinkSync(join(root, 'self-a.png'), join(root, 'self-b.png'));
    symlinkSync(join(root, 'shots/loop-y.png'), join(root, 'shots/loop-x.png'));
    symlinkSync(join(root, 'shots/loop-x.png'), join(root, 'shots/loop-y.png'));
    const files = collectInputFiles(
      [join(root, 'a.png'), join(root, 'self-a.png'), join(root, 'shots')],
      join(root, 'out'),
    );
    expect(files).toEqual([
      join(root, 'a.png'),
      join(root, 'self-a.png'),
      join(root, 'shots/b.png'),
      join(root, 'shots/loop-x.png'),
      join(root, 'shots/loop-y.png'),
    ]);
    for (const name of ['self-a.png', 'shots/loop-x.png']) {
      await expect(decodeImage(join(root, name), { maxPixels: 1e6 })).rejects.toMatchObject({
        code: 'TL_ERR_IMAGE_DECODE',
        message: `${name.replace('shots/', '')}: cannot read the file: a symbolic link loop (the link leads back to itself) (ELOOP).`,
        details: { reason: 'unreadable' },
      });
    }
  });

  it('still stops at an input that does not exist', () => {
    const root = folderWith(['a.png']);
    expect(() => collectInputFiles([join(root, 'a.png'), join(root, 'typo.png')], join(root, 'out'))).toThrow(
      /typo\.png: no such file or folder/,
    );
  });

  it('does not walk into the output folder through a symlink', () => {
    const root = folderWith(['shots/a.png', 'out/crop.png']);
    symlinkSync(join(root, 'out'), join(root, 'shots/dataset'));
    expect(collectInputFiles([join(root, 'shots')], join(root, 'out'))).toEqual([join(root, 'shots/a.png')]);
  });

  it('leaves out folders holding an earlier prep output and tells the caller', () => {
    const root = folderWith([
      'a.png',
      'old-run/10_sks girl/a.png',
      'old-run/stages/a/text-mask.png',
      'other/manifest.json',
      'other/b.png',
    ]);
    writeFileSync(join(root, 'old-run/manifest.json'), PREP_MANIFEST);
    writeFileSync(join(root, 'other/manifest.json'), '{"version": 1, "name": "not a prep manifest"}');
    const told: [string, string][] = [];
    const files = collectInputFiles([root], join(root, 'out'), (line, folder) => told.push([line, folder]));
    expect(files).toEqual([join(root, 'a.png'), join(root, 'other/b.png')]);
    expect(told).toEqual([
      [
        `${join(root, 'old-run')}: left out, it holds an earlier toonlora prep output (manifest.json), not screenshots.`,
        join(root, 'old-run'),
      ],
    ]);
  });

  it('names the prep outputs it left out when nothing else is found', () => {
    const root = folderWith(['10_sks girl/a.png']);
    writeFileSync(join(root, 'manifest.json'), PREP_MANIFEST);
    const told: string[] = [];
    const error = thrownToonloraError(() =>
      collectInputFiles([root], '/tmp/toonlora-unused-out', (line) => told.push(line)),
    );
    expect(error.code).toBe('TL_ERR_INPUT_NOT_FOUND');
    expect(error.message).toContain(
      `(looked for .png .jpg .jpeg .jpe .jfif .webp .gif .tif .tiff .avif .heic .heif .bmp, in subfolders too). Left out ${root}: earlier toonlora prep output (it holds manifest.json), not screenshots. Point prep at your screenshots`,
    );
    expect(told).toEqual([]);
  });

  it('refuses folders without image files, naming them and the accepted extensions', () => {
    const root = folderWith(['readme.txt', 'scan.psd', 'sub/notes.md']);
    expect(() => collectInputFiles([root], join(root, 'out'))).toThrow(
      expect.objectContaining({
        code: 'TL_ERR_INPUT_NOT_FOUND',
        message: expect.stringMatching(
          new RegExp(
            `^${root}: no image files found \\(looked for \\.png \\.jpg .*\\.bmp, in subfolders too\\)\\. Point prep`,
          ),
        ),
      }),
    );
  });

  it('refuses an input folder that is the output folder or inside it (its crops would come back as inputs)', () => {
    const root = folderWith(['shots/a.png', 'shots/more/b.png']);
    for (const input of [join(root, 'shots'), join(root, 'shots', 'more')]) {
      expect(() => collectInputFiles([input], join(root, 'shots'))).toThrow(
        expect.objectContaining({
          code: 'TL_ERR_USAGE',
          message: `${input}: this input folder is the output folder (-o) or inside it, so prep would read its own crops back as screenshots. Give -o a folder outside the inputs, e.g. -o ${input}-dataset.`,
        }),
      );
    }
  });

  it('refuses files named as inputs that lie inside the output folder, naming them all', () => {
    const root = folderWith(['shots/a.png', 'out/b.png', 'out/sub/c.png']);
    const named = [join(root, 'shots/a.png'), join(root, 'out/b.png'), join(root, 'out/sub/c.png')];
    const error = thrownToonloraError(() => collectInputFiles(named, join(root, 'out')));
    expect(error.code).toBe('TL_ERR_USAGE');
    expect(error.message).toBe(
      `${named[1]}, ${named[2]}: inside the output folder (-o), and prep does not read its own output folder (it would take its crops back as screenshots). Move them out of the output folder, or choose another -o.`,
    );
    expect(error.details).toEqual({ file: named[1], files: [named[1], named[2]] });
    expect(() => collectInputFiles([join(root, 'out/b.png')], join(root, 'out'))).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/b\.png: inside the output folder \(-o\).*Move it out/),
      }),
    );
  });

  it('says that folders given hold no files at all, as a missing input is said (the same code)', () => {
    const root = folderWith([]);
    for (const folder of ['empty', 'also-empty']) mkdirSync(join(root, folder));
    expect(() => collectInputFiles([join(root, 'empty')], join(root, 'out'))).toThrow(
      expect.objectContaining({
        code: 'TL_ERR_INPUT_NOT_FOUND',
        message: `${join(root, 'empty')}: no files in it. Point prep at the folder that holds your screenshots.`,
      }),
    );
    expect(() =>
      collectInputFiles([join(root, 'empty'), join(root, 'also-empty')], join(root, 'out')),
    ).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/also-empty: no files in them\. Point prep/),
      }),
    );
  });

  it('names a missing input', () => {
    expect(() => collectInputFiles(['/nonexistent/panel.png'], '/tmp/out')).toThrow(
      expect.objectContaining({
        code: 'TL_ERR_INPUT_NOT_FOUND',
        message: expect.stringMatching(/panel\.png: no such file/),
      }),
    );
    expect(() => collectInputFiles([], '/tmp/out')).toThrow(
      expect.objectContaining({ code: 'TL_ERR_USAGE' }),
    );
  });
});
