// test/helpers/tiny-training.ts — for the train-*-e2e tests on the `tiny` base: a small kohya dataset of striped
// PNGs (two concepts, a `0_` folder the trainer skips, a cut-off PNG it leaves out), the `./toonlora` launcher
// run as a subprocess that throws on a non-zero exit, and `toonlora train --dry-run`.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

/** `./toonlora` at the repository root. */
export const launcher = new URL('../../toonlora', import.meta.url).pathname;

/** execFile as a promise: resolves with { stdout, stderr }, rejects with the exit code and output. */
export const execFileAsync = promisify(execFile);

/** A 64 x 64 red / blue diagonal stripe PNG, shifted by `phase`. */
export async function writePattern(path: string, phase: number): Promise<void> {
  const size = 64;
  const pixels = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const stripe = Math.floor((x + y + phase) / 8) % 2 === 0;
      pixels.set(stripe ? [230, 40, 30] : [20, 30, 120], (y * size + x) * 3);
    }
  }
  await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toFile(path);
}

/**
 * Writes the dataset into `dataset`: `5_sks pattern` (2 captioned images and a cut-off cut.png), `1_zzk boy` (one
 * image captioned by a kohya `.caption` file with a BOM) and `0_off x` (skipped).
 */
export async function writeTinyDataset(dataset: string): Promise<void> {
  const folder = join(dataset, '5_sks pattern');
  mkdirSync(folder, { recursive: true });
  for (const i of [0, 1]) {
    await writePattern(join(folder, `img${i}.png`), i);
    writeFileSync(join(folder, `img${i}.txt`), 'sks, striped pattern, red and blue');
  }
  // a second concept whose caption is a kohya `.caption` file, and a `0_` folder the trainer skips
  mkdirSync(join(dataset, '1_zzk boy'));
  await writePattern(join(dataset, '1_zzk boy', 'b.png'), 3);
  writeFileSync(join(dataset, '1_zzk boy', 'b.caption'), '\ufeffzzk, caption file tag');
  mkdirSync(join(dataset, '0_off x'));
  await writePattern(join(dataset, '0_off x', 'c.png'), 5);
  // a PNG cut off after its header, with a caption: the worker leaves it out, so no count or tag may record it
  await writePattern(join(folder, 'cut.png'), 7);
  const whole = readFileSync(join(folder, 'cut.png'));
  writeFileSync(join(folder, 'cut.png'), whole.subarray(0, Math.floor(whole.length / 2)));
  writeFileSync(join(folder, 'cut.txt'), 'sks, never trained tag');
}

/** `./toonlora train <dataset> --dry-run ...args`: its stdout and stderr. */
export async function dryRun(
  dataset: string,
  ...args: string[]
): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(launcher, ['train', dataset, '--dry-run', ...args]);
}
