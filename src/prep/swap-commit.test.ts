// src/prep/swap-commit.test.ts — the end-of-run swap never leaves the user with neither dataset: a failure injected
// at each of its file operations rolls back to the previous dataset, byte for byte, with the new output kept in the
// staging folder; a "kill" at each operation (no rollback) is undone by the next run's recoverInterruptedSwap; and a
// real permission error (when the test can drop root) reads in words.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ToonloraError } from '../errors.js';
import { checkOutDir, prepareOutDir } from './out-dir.js';
import { keptOutputLine, releaseStaging } from './output-swap-claim.js';
import {
  BACKUP_DIR,
  fsReason,
  realSwapFs,
  recoverInterruptedSwap,
  type SwapFs,
  type SwapPlan,
  swapIn,
} from './swap-commit.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-swap-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const OLD: Record<string, string> = {
  'manifest.json': 'old manifest',
  '10_sks girl/a.png': 'old a png',
  '10_sks girl/a.txt': 'old a caption',
  'stages/a/crop-1.png': 'old stage',
};
const NEW: Record<string, string> = {
  'manifest.json': 'new manifest',
  '10_sks girl/b.png': 'new b png',
  '10_sks girl/b.txt': 'new b caption',
  'stages/b/crop-1.png': 'new stage',
};
const PLAN: SwapPlan = {
  oldFiles: Object.keys(OLD),
  folders: ['10_sks girl', 'stages'],
  newEntries: ['10_sks girl', 'stages', 'manifest.json'],
};

function writeTree(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
}

/** Every file under `dir` with its text, relative paths. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out[relative(dir, join(d, e.name))] = readFileSync(join(d, e.name), 'utf8');
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

let n = 0;
function setUp(): { out: string; staging: string } {
  n += 1;
  const out = join(root, `case-${n}`);
  writeTree(out, OLD);
  const staging = join(out, '.toonlora-prep-staging');
  writeTree(staging, NEW);
  writeFileSync(join(staging, 'owner.pid'), '1 x\n');
  return { out, staging };
}

/** realSwapFs that fails at its `failAt`-th call (1-based) with EACCES, and, when `dead`, at every call after it
 * (a killed process: no rollback happens). Counts the calls. */
function failingFs(failAt: number, dead = false): SwapFs & { calls: number } {
  const fs = { calls: 0 } as SwapFs & { calls: number };
  for (const name of ['rename', 'mkdir', 'rmdir', 'rm', 'writeFile'] as const) {
    // biome-ignore lint/suspicious/noExplicitAny: forwards each operation's own arguments
    (fs as any)[name] = async (...args: any[]) => {
      fs.calls += 1;
      if (fs.calls === failAt || (dead && fs.calls > failAt)) {
        throw Object.assign(new Error(`EACCES: permission denied, ${name} '${args[0]}'`), {
          code: 'EACCES',
          path: args[0],
        });
      }
      // biome-ignore lint/suspicious/noExplicitAny: as above
      return (realSwapFs[name] as any)(...args);
    };
  }
  return fs;
}

/** How many operations a whole swap makes (and that it then leaves only the new dataset). */
async function countCalls(): Promise<number> {
  const { out, staging } = setUp();
  const fs = failingFs(Number.POSITIVE_INFINITY);
  await swapIn(out, staging, PLAN, fs);
  expect(tree(out)).toEqual(NEW);
  expect(readdirSync(out).sort()).toEqual(['10_sks girl', 'manifest.json', 'stages']);
  return fs.calls;
}

describe('swapIn', () => {
  it('a failure at any step rolls back: the previous dataset as it was, the new output kept in the staging folder', async () => {
    const total = await countCalls();
    expect(total).toBeGreaterThan(10);
    // every step before the backup is given up (the last two calls remove the backup and the staging folder:
    // failing there changes nothing the user has, so they are not failures)
    for (let failAt = 1; failAt <= total - 2; failAt += 1) {
      const { out, staging } = setUp();
      const error = await swapIn(out, staging, PLAN, failingFs(failAt)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, `failure at call ${failAt}`).toBeInstanceOf(ToonloraError);
      const message = (error as ToonloraError).message;
      expect((error as ToonloraError).code).toBe('TL_ERR_OUTPUT_WRITE');
      expect(message).toContain('permission denied');
      expect(message).toContain('the previous dataset is as it was');
      expect(message).toContain(`the new output is kept in ${staging}`);
      const after = tree(out);
      for (const [rel, text] of Object.entries(OLD))
        expect(after[rel], `${rel} at call ${failAt}`).toBe(text);
      expect(
        Object.keys(after)
          .filter((rel) => !rel.startsWith('.toonlora-prep-staging'))
          .sort(),
      ).toEqual(Object.keys(OLD).sort());
      expect(tree(staging)).toEqual({ ...NEW, 'owner.pid': '1 x\n' });
      expect(existsSync(join(out, BACKUP_DIR))).toBe(false);
    }
  });

  it('a run killed at any step: the next run puts the previous dataset back (never deletes it)', async () => {
    const total = await countCalls();
    for (let failAt = 1; failAt <= total; failAt += 1) {
      const { out, staging } = setUp();
      await swapIn(out, staging, PLAN, failingFs(failAt, true)).catch(() => {});
      const note = recoverInterruptedSwap(out);
      const after = tree(out);
      if (failAt >= total - 1) {
        // killed once the new output was all in place: it stays, the backup is gone
        for (const [rel, text] of Object.entries(NEW)) expect(after[rel]).toBe(text);
        expect(note).toBeUndefined();
        continue;
      }
      for (const [rel, text] of Object.entries(OLD))
        expect(after[rel], `${rel} at call ${failAt}`).toBe(text);
      expect(existsSync(join(out, BACKUP_DIR))).toBe(false);
      expect(after['10_sks girl/b.png']).toBeUndefined();
      if (note) expect(note).toContain('the previous dataset is put back');
    }
  });

  it('a file written into the dataset folder during the run: rolled back, said in words, the file kept', async () => {
    const { out, staging } = setUp();
    writeFileSync(join(out, '10_sks girl', 'notes.txt'), 'mine');
    await expect(swapIn(out, staging, PLAN)).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_WRITE',
      message: expect.stringContaining(
        `moving the new output into ${join(out, '10_sks girl')}: something was written there during the run, ENOTEMPTY. Nothing was replaced: the previous dataset is as it was`,
      ),
    });
    expect(tree(out)).toMatchObject({ ...OLD, '10_sks girl/notes.txt': 'mine' });
    expect(tree(staging)).toEqual({ ...NEW, 'owner.pid': '1 x\n' });
  });

  it("the next run's folder check (checkOutDir) undoes a killed swap before it looks, and says so", async () => {
    const { out, staging } = setUp();
    await swapIn(out, staging, PLAN, failingFs(12, true)).catch(() => {});
    expect(existsSync(join(out, BACKUP_DIR))).toBe(true);
    const said: string[] = [];
    expect(() => checkOutDir(out, '10_sks girl', false, false, (line) => said.push(line))).toThrow(
      expect.objectContaining({ code: 'TL_ERR_OUTPUT_EXISTS' }), // not empty: the previous dataset is back
    );
    expect(said).toEqual([
      `${out}: an earlier prep --overwrite was stopped while it replaced the dataset; the previous dataset is put back (4 files)`,
    ]);
    expect(tree(out)).toMatchObject(OLD);
  });

  it('the next run says it removes the new output a failed swap kept, naming the folder the error named', async () => {
    // before: the error said "the new output is kept in <staging>", and the next run removed it without a word
    const { out, staging } = setUp();
    // the failed run's own claim, released when it ended (pipeline.ts): its folder counts as a killed run's
    writeFileSync(join(staging, 'owner.pid'), `${process.pid} a-released-claim\n`);
    const failure = await swapIn(out, staging, PLAN, failingFs(3)).then(
      () => undefined,
      (e: unknown) => e as ToonloraError,
    );
    expect(failure?.message).toContain(`the new output is kept in ${staging}`);
    const said: string[] = [];
    expect(await prepareOutDir(out, (line) => said.push(line))).toBe(staging);
    expect(said).toEqual([
      `${out}: removing the new output an earlier prep run could not put in place, which it kept in ${staging}; this run writes its own`,
    ]);
    expect(said[0]).toBe(keptOutputLine(out, staging));
    expect(readdirSync(staging)).toEqual(['owner.pid']); // this run's claim
    expect(tree(out)).toMatchObject(OLD);
    releaseStaging(staging);
    // a run killed before it wrote its manifest kept no whole output and was never said to: cleared quietly
    writeFileSync(join(staging, 'owner.pid'), `${process.pid} another-released-claim\n`);
    writeTree(staging, { '10_sks girl/half.png': 'half' });
    said.length = 0;
    expect(await prepareOutDir(out, (line) => said.push(line))).toBe(staging);
    expect(said).toEqual([]);
    expect(readdirSync(staging)).toEqual(['owner.pid']);
    releaseStaging(staging);
  });

  it('a backup it cannot undo is named, not deleted', () => {
    const out = join(root, 'bad-journal');
    writeTree(out, { [`${BACKUP_DIR}/old/manifest.json`]: 'old manifest', [`${BACKUP_DIR}/swap.json`]: '{' });
    expect(() => recoverInterruptedSwap(out)).toThrow(
      expect.objectContaining({
        code: 'TL_ERR_OUTPUT_EXISTS',
        message: expect.stringContaining(join(out, BACKUP_DIR)),
      }),
    );
    expect(readFileSync(join(out, BACKUP_DIR, 'old', 'manifest.json'), 'utf8')).toBe('old manifest');
  });

  it('names a not-writable folder in words', () => {
    const error = Object.assign(new Error('x'), { code: 'EACCES' });
    expect(fsReason(error, '/d/stages/p/crop-1.png')).toBe(
      'permission denied: its folder /d/stages/p is not writable, EACCES',
    );
    // the shared words (src/fs-error-words.ts): before, a full disk here was 'the disk is full', elsewhere 'no space
    // left on the disk'
    const coded = (code: string) => Object.assign(new Error('x'), { code });
    expect(fsReason(coded('ENOSPC'))).toBe('no space left on the disk, ENOSPC');
    expect(fsReason(coded('EROFS'))).toBe('a read-only file system, EROFS');
    expect(fsReason(coded('ENOENT'))).toBe('it is no longer there, ENOENT');
    expect(fsReason(coded('EWHATEVER'))).toBe('EWHATEVER');
    expect(fsReason(new Error('no code'))).toBe('no code');
  });

  // a real permission error: root ignores folder permissions, so the swap runs as `nobody` in a child process
  // (only where nobody can read this checkout: a clone under a private folder, e.g. mktemp -d's 0700, cannot)
  const canDrop = process.getuid?.() === 0 && nobodyCanRead(join(import.meta.dirname, 'swap-commit.ts'));
  it.skipIf(!canDrop)(
    'a real EACCES (a read-only stages folder, as user nobody) leaves the previous dataset as it was',
    () => {
      const { out, staging } = setUp();
      execFileSync('chmod', ['-R', 'a+rwX', root]);
      chmodSync(root, 0o777);
      chmodSync(join(out, 'stages', 'a'), 0o555);
      const script = `import('${join(import.meta.dirname, 'swap-commit.ts')}').then((m) => m.swapIn(${JSON.stringify(out)}, ${JSON.stringify(staging)}, ${JSON.stringify(PLAN)})).then(() => console.log('swapped'), (e) => console.log(e.message))`;
      const said = execFileSync(
        'runuser',
        ['-u', 'nobody', '--', process.execPath, '--import', 'tsx', '-e', script],
        { encoding: 'utf8', cwd: join(import.meta.dirname, '..', '..') },
      );
      expect(said).toContain(`moving aside ${join(out, 'stages', 'a', 'crop-1.png')}: permission denied`);
      expect(said).toContain('the previous dataset is as it was');
      for (const [rel, text] of Object.entries(OLD)) expect(readFileSync(join(out, rel), 'utf8')).toBe(text);
      expect(statSync(join(staging, '10_sks girl', 'b.png')).isFile()).toBe(true);
    },
    60_000,
  );
});

/** Whether `runuser` exists and user nobody can read `file` (and so load this checkout's sources and tsx). */
function nobodyCanRead(file: string): boolean {
  if (process.platform !== 'linux') return false;
  try {
    execFileSync('runuser', ['-u', 'nobody', '--', 'test', '-r', file], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
