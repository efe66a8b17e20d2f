// src/vision/sharp-io.test.ts — the sharp adapter: PNG round trips for RGB and gray, header reading
// without decoding, exact-size resize, SVG text rendering (needs fonts-noto-cjk for the Korean line).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeToRgb,
  encodePng,
  encodePngBuffer,
  readImageHeader,
  renderSvgToRgb,
  resizeRgb,
} from './sharp-io.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toonlora-sharp-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rgb = { width: 3, height: 2, data: Uint8Array.from({ length: 18 }, (_, i) => i * 14) };

describe('sharp-io', () => {
  it('round-trips RGB pixels through PNG exactly', async () => {
    const path = join(dir, 'rgb.png');
    await encodePng(rgb, path);
    const header = await readImageHeader(path);
    expect(header).toMatchObject({
      format: 'png',
      width: 3,
      height: 2,
      channels: 3,
      pages: 1,
      orientation: 1,
    });
    expect(await decodeToRgb(path, { maxPixels: 100 })).toEqual(rgb);
  });

  it('writes a gray mask as a 1-channel PNG and reads it back as RGB', async () => {
    const gray = { width: 2, height: 2, data: Uint8Array.from([0, 255, 128, 7]) };
    const buffer = await encodePngBuffer(gray);
    expect((await readImageHeader(buffer)).channels).toBe(1);
    const back = await decodeToRgb(buffer, { maxPixels: 100 });
    expect([...back.data]).toEqual([0, 0, 0, 255, 255, 255, 128, 128, 128, 7, 7, 7]);
  });

  it('refuses images above maxPixels while decoding', async () => {
    const buffer = await encodePngBuffer(rgb);
    await expect(decodeToRgb(buffer, { maxPixels: 5 })).rejects.toThrow(/pixel limit/i);
  });

  it('rejects a buffer of the wrong length', async () => {
    await expect(encodePngBuffer({ width: 4, height: 4, data: new Uint8Array(10) })).rejects.toThrow(
      /expected width\*height\*1 or \*3 bytes, got 10 for 4x4/,
    );
  });

  it('resizes to the exact size asked for', async () => {
    const out = await resizeRgb(rgb, 7, 5);
    expect([out.width, out.height, out.data.length]).toEqual([7, 5, 105]);
  });

  it('shrinks (lanczos3) and enlarges (cubic) keeping flat areas flat; the same size is returned as is', async () => {
    // left half black, right half white
    const split = (side: number) => ({
      width: side,
      height: side,
      data: Uint8Array.from({ length: side * side * 3 }, (_, i) => ((i / 3) % side < side / 2 ? 0 : 255)),
    });
    for (const [from, kernel] of [[96, 'lanczos3'], [24, 'cubic']] as const) {
      const out = await resizeRgb(split(from), 48, 48, kernel);
      expect([out.width, out.height]).toEqual([48, 48]);
      const at = (x: number, y: number) => out.data[(y * 48 + x) * 3] as number;
      expect(at(2, 20)).toBeLessThan(8); // deep in the black half
      expect(at(45, 20)).toBeGreaterThan(247); // deep in the white half
    }
    const same = split(16);
    expect(await resizeRgb(same, 16, 16, 'lanczos3')).toBe(same);
  });

  it('renders Korean and English SVG text (not tofu boxes)', async () => {
    const svg = (text: string) =>
      `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60"><text x="10" y="40" font-family="Noto Sans CJK KR" font-size="32">${text}</text></svg>`;
    const ink = (image: { data: Uint8Array }) => image.data.filter((v) => v < 128).length;
    const korean = await renderSvgToRgb(svg('안녕하세요'));
    const tofu = await renderSvgToRgb(svg('\u{E000}\u{E000}\u{E000}\u{E000}\u{E000}'));
    expect(korean.width).toBe(200);
    expect(ink(korean)).toBeGreaterThan(300);
    expect(ink(korean)).not.toBe(ink(tofu));
  });
});
