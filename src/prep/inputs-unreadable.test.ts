// src/prep/inputs-unreadable.test.ts — a folder prep cannot list (EACCES: injected, as the tests run as root) is
// named in words and left out, and the walk goes on with the other inputs; and the walk picks up exactly the
// extensions of the formats prep reads (decode-formats.ts, the one list).
import type * as fs from 'node:fs';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { thrownToonloraError } from '../errors-testing.js';
import { PREP_EXTENSIONS, PREP_READABLE_FORMATS } from './decode-formats.js';
import { collectInputFiles, IMAGE_EXTENSIONS } from './inputs.js';

/** A folder whose name holds this cannot be listed: readdirSync throws EACCES for it, as for a chmod 000 one. */
const LOCKED = 'locked-';

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  const readdirSync = ((path: fs.PathLike, ...rest: unknown[]) => {
    if (String(path).split(sep).at(-1)?.startsWith(LOCKED)) {
      throw Object.assign(new Error(`EACCES: permission denied, scandir '${String(path)}'`), {
        code: 'EACCES',
        syscall: 'scandir',
      });
    }
    return (real.readdirSync as (...args: unknown[]) => unknown)(path, ...rest);
  }) as typeof fs.readdirSync;
  return { ...real, readdirSync, default: { ...real, readdirSync } };
});

function folderWith(names: readonly string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'toonlora-inputs-unreadable-'));
  for (const name of names) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), '');
  }
  return root;
}

describe('collectInputFiles: a folder it cannot read', () => {
  it('names an unreadable input folder and a subfolder in words and goes on with the other inputs', () => {
    const root = folderWith(['locked-a/p1.png', 'open/p2.png', 'open/locked-sub/p3.png', 'open/p4.png']);
    const told: Array<[string, string]> = [];
    const files = collectInputFiles(
      [join(root, 'locked-a'), join(root, 'open')],
      join(root, 'out'),
      (line, path) => told.push([line, path]),
    );
    expect(files).toEqual([join(root, 'open', 'p2.png'), join(root, 'open', 'p4.png')]);
    expect(told).toEqual([
      [
        `${join(root, 'locked-a')}: left out, cannot read the folder: permission denied (EACCES).`,
        join(root, 'locked-a'),
      ],
      [
        `${join(root, 'open', 'locked-sub')}: left out, cannot read the folder: permission denied (EACCES).`,
        join(root, 'open', 'locked-sub'),
      ],
    ]);
  });

  it('says why when the only folder given cannot be read', () => {
    const root = folderWith(['locked-only/p1.png']);
    const error = thrownToonloraError(() =>
      collectInputFiles([join(root, 'locked-only')], join(root, 'out')),
    );
    expect(error.code).toBe('TL_ERR_INPUT_NOT_FOUND');
    expect(error.message).toContain(
      `Left out ${join(root, 'locked-only')}: cannot read the folder: permission denied (EACCES).`,
    );
  });
});

describe('the folder walk and the formats prep reads', () => {
  it('walks exactly the extensions of the formats prep reads, one list for both', () => {
    expect(IMAGE_EXTENSIONS).toBe(PREP_EXTENSIONS);
    // each format the messages name is walked by an extension of its own name
    for (const name of PREP_READABLE_FORMATS.split(/, | or /)) {
      const own = name === 'JPEG' ? '.jpg' : `.${name.toLowerCase()}`;
      expect(IMAGE_EXTENSIONS.has(own), name).toBe(true);
    }
    const walked = [...IMAGE_EXTENSIONS].map((extension, i) => `p${i}${extension.toUpperCase()}`);
    const root = folderWith([...walked, 'logo.svg', 'scan.psd', 'doc.pdf']);
    expect(collectInputFiles([root], join(root, 'out'))).toEqual(walked.map((name) => join(root, name)));
  });
});
