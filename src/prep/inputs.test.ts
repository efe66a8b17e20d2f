import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectInputFiles } from './inputs.js';

describe('collectInputFiles', () => {
  it('walks folders for images in natural order, keeps explicit files, skips the output folder', () => {
    const root = mkdtempSync(join(tmpdir(), 'toonlora-inputs-'));
    for (const name of ['p10.png', 'p2.jpg', 'notes.txt', 'scan.bmp', 'sub/p1.webp', 'out/old.png', '.hidden/x.png']) {
      mkdirSync(join(root, name, '..'), { recursive: true });
      writeFileSync(join(root, name), '');
    }
    expect(collectInputFiles([root, join(root, 'notes.txt'), join(root, 'p2.jpg')], join(root, 'out'))).toEqual([
      join(root, 'p2.jpg'),
      join(root, 'p10.png'),
      join(root, 'sub/p1.webp'),
      join(root, 'notes.txt'),
    ]);
  });
  it('keeps an explicitly named .bmp (it gets its own decode reason) but does not collect one from a folder', () => {
    const root = mkdtempSync(join(tmpdir(), 'toonlora-inputs-'));
    writeFileSync(join(root, 'a.png'), '');
    writeFileSync(join(root, 'b.bmp'), '');
    expect(collectInputFiles([root], join(root, 'out'))).toEqual([join(root, 'a.png')]);
    expect(collectInputFiles([join(root, 'b.bmp')], join(root, 'out'))).toEqual([join(root, 'b.bmp')]);
  });

  it('refuses folders without image files, naming them and the accepted extensions', () => {
    const root = mkdtempSync(join(tmpdir(), 'toonlora-inputs-'));
    for (const name of ['readme.txt', 'scan.bmp', 'sub/notes.md']) {
      mkdirSync(join(root, name, '..'), { recursive: true });
      writeFileSync(join(root, name), '');
    }
    expect(() => collectInputFiles([root], join(root, 'out'))).toThrow(
      expect.objectContaining({
        code: 'TL_ERR_USAGE',
        message: expect.stringMatching(new RegExp(`^${root}: no image files found \\(looked for \\.png \\.jpg .*\\.avif, in subfolders too\\)`)),
      }),
    );
  });

  it('refuses an input folder that is the output folder or inside it (its crops would come back as inputs)', () => {
    const root = mkdtempSync(join(tmpdir(), 'toonlora-inputs-'));
    mkdirSync(join(root, 'shots', 'more'), { recursive: true });
    writeFileSync(join(root, 'shots', 'a.png'), '');
    for (const input of [join(root, 'shots'), join(root, 'shots', 'more')]) {
      expect(() => collectInputFiles([input], join(root, 'shots'))).toThrow(
        expect.objectContaining({
          code: 'TL_ERR_USAGE',
          message: `${input}: this input folder is the output folder (-o) or inside it, so prep would read its own crops back as screenshots. Give -o a folder outside the inputs, e.g. -o ${input}-dataset.`,
        }),
      );
    }
  });

  it('names a missing input', () => {
    expect(() => collectInputFiles(['/nonexistent/panel.png'], '/tmp/out')).toThrow(
      expect.objectContaining({ code: 'TL_ERR_INPUT_NOT_FOUND', message: expect.stringMatching(/panel\.png: no such file/) }),
    );
    expect(() => collectInputFiles([], '/tmp/out')).toThrow(expect.objectContaining({ code: 'TL_ERR_USAGE' }));
  });
});
