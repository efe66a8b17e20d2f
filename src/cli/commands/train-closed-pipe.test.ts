// src/cli/commands/train-closed-pipe.test.ts — `toonlora train --events | head -1` on the `tiny` base (the real CLI and
// Python worker): the closed pipe stops the run, and the line that names the checkpoint to resume from (or, when
// the stop came once the last step had started, says the run finished) reaches stderr, not the closed stdout; both
// exit 1, as README says a run stopped by a closed output pipe does.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';

const cli = resolve(import.meta.dirname, '..', '..', '..', 'toonlora');
const root = mkdtempSync(join(tmpdir(), 'tl-train-pipe-'));
const dataset = join(root, 'dataset');

beforeAll(async () => {
  const folder = join(dataset, '5_sks pattern');
  mkdirSync(folder, { recursive: true });
  for (const i of [0, 1]) {
    const pixels = Buffer.alloc(64 * 64 * 3, i === 0 ? 200 : 40);
    await sharp(pixels, { raw: { width: 64, height: 64, channels: 3 } })
      .png()
      .toFile(join(folder, `img${i}.png`));
    writeFileSync(join(folder, `img${i}.txt`), 'sks, pattern');
  }
});

/** `toonlora train … --events 2>err | head -1`: the CLI's exit code (PIPESTATUS), stdout as head passed it, stderr. */
function trainIntoHead(
  run: string,
  steps: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const err = join(root, `${run}.err`);
  const line =
    `"${cli}" train "${dataset}" -o "${join(root, run)}" --base tiny --steps ${steps} --events ` +
    `2>"${err}" | head -1; exit \${PIPESTATUS[0]}`;
  return new Promise((done) => {
    execFile('bash', ['-c', line], { timeout: 280_000 }, (error, stdout) => {
      const code = error ? Number((error as { code?: number }).code) : 0;
      done({ code, stdout, stderr: existsSync(err) ? readFileSync(err, 'utf8') : '' });
    });
  });
}

describe('train --events into a pipe that closes after one line', () => {
  it('stops, saves a checkpoint and names it on stderr; exits 1', async () => {
    const { code, stdout, stderr } = await trainIntoHead('run12', 12);
    expect(JSON.parse(stdout)).toMatchObject({ type: 'progress', step: 1, total: 12 });
    expect(code).toBe(1);
    const last = stderr.trimEnd().split('\n').at(-1);
    expect(last).toMatch(
      /^stopped at step \d+; checkpoint .*run12\/checkpoints\/step-\d+\. Continue with --resume\.$/,
    );
  }, 300_000);

  it('a stop after the last step started: the run finishes, stderr says so and names its files; exits 1', async () => {
    const { code, stdout, stderr } = await trainIntoHead('run1', 1);
    expect(JSON.parse(stdout)).toMatchObject({ type: 'progress', step: 1, total: 1 });
    expect(code).toBe(1);
    expect(stderr).toContain(
      'stopped after the last step had started: the run finished it, and its files are complete (nothing to resume)\ntrained 1 steps',
    );
    expect(stderr).toContain(`WebUI / ComfyUI / diffusers file: ${join(root, 'run1', 'run1.safetensors')}`);
  }, 300_000);
});
