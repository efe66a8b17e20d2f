// test/prep-output-paths.test.ts — a bad -o path (a file, below a file, read-only, empty, where no folder can be
// made) is a usage error naming it, before any model loads (set-up in helpers/prep-output-setup.ts).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPrep } from '../src/prep/pipeline.js';
import { prepOutputFixture } from './helpers/prep-output-setup.js';

const { root, emptyCache, drawn } = prepOutputFixture();

describe('runPrep output folder checks', () => {
  it('-o naming a file, or a path below a file, is a usage error naming the path', async () => {
    const file = join(root, 'a-file.txt');
    writeFileSync(file, 'mine\n');
    await expect(runPrep({ inputs: [drawn.panel], outDir: file, cache: emptyCache })).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message: `${file}: this is a file, not a folder. Choose a new or empty folder you can write to for -o.`,
    });
    await expect(
      runPrep({ inputs: [drawn.panel], outDir: join(file, 'out'), cache: emptyCache }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message: expect.stringMatching(
        new RegExp(`^${join(file, 'out')}: ${file} is a file, so no folder can be made in it\\.`),
      ),
    });
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
  });

  it.skipIf(process.getuid?.() === 0)(
    '-o inside a read-only folder is a usage error naming the path',
    async () => {
      const readOnly = join(root, 'read-only');
      mkdirSync(readOnly, { mode: 0o555 });
      await expect(
        runPrep({ inputs: [drawn.panel], outDir: join(readOnly, 'out'), cache: emptyCache }),
      ).rejects.toMatchObject({
        code: 'TL_ERR_USAGE',
        message: expect.stringMatching(/read-only is not writable \(EACCES: permission denied\)/),
      });
    },
  );

  it('an empty -o is a usage error, not the working folder', async () => {
    await expect(runPrep({ inputs: [drawn.panel], outDir: '', cache: emptyCache })).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message: expect.stringContaining('-o "": an empty path'),
    });
  });

  it.runIf(process.platform === 'linux')(
    'an -o where no folder can be made (/proc) fails at once, naming it',
    async () => {
      // Node's recursive mkdir looped forever at 100% CPU there (ENOENT under a parent that exists)
      const started = Date.now();
      await expect(
        runPrep({ inputs: [drawn.panel], outDir: '/proc/toonlora-nope/out', cache: emptyCache }),
      ).rejects.toMatchObject({
        code: 'TL_ERR_USAGE',
        message: expect.stringContaining(
          '/proc/toonlora-nope/out: its folder /proc/toonlora-nope cannot be made in /proc (ENOENT',
        ),
      });
      expect(Date.now() - started).toBeLessThan(10_000);
    },
    15_000,
  );
});
