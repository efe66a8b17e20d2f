// test/prep-bench-reference-tip-stroke.test.ts — bench/prep_ref_crop.py grow_through_outline_colour
// paints the same pixels as crop-clutter.ts growThroughOutlineColour: a bubble tail's tip strokes (one
// longer than the reach, one diagonal), a hair strand beside the bubble, a sky of another dark colour.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { growThroughOutlineColour } from '../src/prep/crop-clutter.js';
import { dilateEllipse } from '../src/vision/binary-dilate.js';

const repo = new URL('..', import.meta.url).pathname;
const python = join(repo, 'trainer/.venv/bin/python');
const hasPython =
  existsSync(python) &&
  (() => {
    try {
      execFileSync(python, ['-c', 'import cv2, numpy'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
if (!hasPython)
  console.warn('prep-bench-reference-tip-stroke: trainer/.venv with opencv/numpy is missing; skipped');

const W = 90;
const H = 50;
const OUTLINE = 3;

function page() {
  const rgb = new Uint8Array(W * H * 3);
  const bubble = new Uint8Array(W * H);
  const characters = new Uint8Array(W * H);
  const paint = (x0: number, y0: number, x1: number, y1: number, c: number[], to?: Uint8Array) => {
    for (let y = y0; y <= y1; y++)
      for (let x = x0; x <= x1; x++) {
        rgb.set(c, 3 * (y * W + x));
        if (to) to[y * W + x] = 255;
      }
  };
  paint(0, 0, W - 1, H - 1, [0x1d, 0x23, 0x40]);
  paint(5, 5, 30, 30, [0x11, 0x11, 0x11], bubble);
  paint(8, 8, 27, 27, [255, 255, 255]);
  paint(31, 10, 60, 11, [0x15, 0x12, 0x10]); // longer than 4 outlines
  for (let k = 0; k < 15; k++) paint(31 + k, 20 + k, 32 + k, 20 + k, [0x22, 0x22, 0x22]); // diagonal
  paint(55, 25, 80, 45, [0x11, 0x11, 0x11], characters); // a head
  paint(31, 28, 54, 29, [0x11, 0x11, 0x11], characters); // its hair strand reaching the bubble
  return { rgb, bubble, characters };
}

describe.skipIf(!hasPython)('the Python reference grows the bubbles through tip strokes', () => {
  it('paints the same pixels as crop-clutter.ts (0 apart)', () => {
    const { rgb, bubble, characters } = page();
    const ours = new Uint8Array(bubble);
    const near = dilateEllipse(characters, W, H, OUTLINE);
    growThroughOutlineColour(ours, bubble, near, { width: W, height: H, data: rgb }, 4 * OUTLINE);
    const script = [
      'import sys, base64, numpy as np',
      'from prep_ref_crop import grow_through_outline_colour',
      'raw = [base64.b64decode(s) for s in sys.stdin.read().split()]',
      `img = np.frombuffer(raw[0], np.uint8).reshape(${H}, ${W}, 3)`,
      `bubble = np.frombuffer(raw[1], np.uint8).reshape(${H}, ${W}) > 0`,
      `chars = np.frombuffer(raw[2], np.uint8).reshape(${H}, ${W}) > 0`,
      `out = grow_through_outline_colour(bubble, chars, img, ${OUTLINE})`,
      'print(base64.b64encode((out * 255).astype(np.uint8).tobytes()).decode())',
    ].join('\n');
    const input = [rgb, bubble, characters].map((a) => Buffer.from(a).toString('base64')).join('\n');
    const out = execFileSync(python, ['-c', script], { cwd: join(repo, 'bench'), input, encoding: 'utf8' });
    const theirs = Buffer.from(out.trim(), 'base64');
    let apart = 0;
    let grown = 0;
    for (let p = 0; p < W * H; p++) {
      if ((ours[p] ? 1 : 0) !== (theirs[p] ? 1 : 0)) apart++;
      if (ours[p] && !bubble[p]) grown++;
    }
    expect(grown).toBeGreaterThan(20); // the strokes were reached (not only the bubble on both sides)
    expect(apart).toBe(0);
  }, 60_000);
});
