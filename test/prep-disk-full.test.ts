// prep on a full disk: the run stops at the first file it cannot write (not every remaining file failing with
// libvips' raw text), says so once naming -o (TL_ERR_OUTPUT_WRITE, not a usage error) and leaves nothing that would
// refuse the same command run again; an --overwrite run keeps the previous dataset as it was. The full disk is
// /dev/full (every write fails with ENOSPC) linked where the run writes its first crop.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { drawPanels, writePanelImages } from '../scripts/draw-panels.js';
import { isDiskFullError } from '../src/disk-full.js';
import { STAGING_DIR } from '../src/prep/output-swap.js';
import { datasetFolderName } from '../src/prep/output-names.js';
import { type PrepOptions, runPrep } from '../src/prep/pipeline.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-prep-full-'));
const cache = { env: { TOONLORA_HOME: join(root, 'empty-home'), HF_HOME: join(root, 'empty-hf') } };
const config = { trigger: 'sks', classWord: 'girl', repeats: 10, dedupe: false };
const datasetDir = datasetFolderName(10, 'sks', 'girl');
let copies: string[];

beforeAll(async () => {
  const [panel] = (await writePanelImages((await drawPanels()).slice(0, 1), join(root, 'in'))) as [string];
  copies = [0, 1, 2].map((i) => {
    const path = join(root, 'in', `c${i}.png`);
    writeFileSync(path, readFileSync(panel));
    return path;
  });
}, 60_000);

/** Callbacks that make the disk "full" where the run writes its first crop (c0.png), and count finished files. */
function fullAtFirstCrop(
  out: string,
): Pick<PrepOptions, 'onFileStart' | 'onProgress'> & { finished: string[] } {
  const finished: string[] = [];
  let planted = false;
  return {
    finished,
    onFileStart: () => {
      if (planted) return;
      planted = true;
      const dir = join(out, STAGING_DIR, datasetDir);
      mkdirSync(dir, { recursive: true });
      symlinkSync('/dev/full', join(dir, 'c0.png'));
    },
    onProgress: (progress) => finished.push(progress.source),
  };
}

describe('prep on a full disk', () => {
  it('stops at the first file, names -o once, leaves nothing; the same command then runs', async () => {
    const out = join(root, 'new', 'ds');
    const full = fullAtFirstCrop(out);
    const error = (await runPrep({ inputs: copies, outDir: out, config, cache, ...full }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error).toMatchObject({
      code: 'TL_ERR_OUTPUT_WRITE',
      message: `${out}: cannot be written: no space left on the disk (ENOSPC). prep stopped at the first file it could not write and kept nothing of this run (what was in the folder before is as it was). Free some space on that disk, then run the same prep again.`,
      details: { file: out, errno: 'ENOSPC' },
    });
    expect(isDiskFullError(error.cause)).toBe(true);
    expect(full.finished).toEqual([]); // not one "failed" file after another
    expect(existsSync(out)).toBe(false); // the run made it: no staging folder, no manifest, no stages/
    const again = await runPrep({ inputs: copies, outDir: out, config, cache });
    expect(again.datasetDir).toBe(join(out, datasetDir));
    expect(again.manifest.summary.crops).toBeGreaterThan(0);
  }, 240_000);

  it('an --overwrite run stopped by it keeps the previous dataset and manifest as they were', async () => {
    const out = join(root, 'kept');
    await runPrep({ inputs: copies.slice(0, 1), outDir: out, config, cache });
    const manifest = readFileSync(join(out, 'manifest.json'), 'utf8');
    const before = readdirSync(out).sort();
    const full = fullAtFirstCrop(out);
    await expect(
      runPrep({ inputs: copies, outDir: out, config, cache, overwrite: true, ...full }),
    ).rejects.toMatchObject({ code: 'TL_ERR_OUTPUT_WRITE' });
    expect(readdirSync(out).sort()).toEqual(before);
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(manifest);
  }, 240_000);
});
