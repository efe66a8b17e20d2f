// Parity of bmp-decode.ts (bmp-ts underneath) with Pillow, the trainer's reader: BMPs Pillow writes (24-bit,
// 8-bit palette and grey, 32-bit with alpha) and hand-made ones Pillow reads (a V4 BI_RGB header whose mask
// fields are 0, a gap before the pixel data, top-down rows) decode to Pillow's pixels exactly; kinds bmp-ts
// decodes wrongly (RLE8, 4-bit, 16-bit) and 1-bit are refused naming the kind. Needs trainer/.venv (Pillow).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveWorkerPython } from '../worker/worker-spawn.js';
import { decodeBmp } from './bmp-decode.js';

const SCRIPT = String.raw`
import struct, sys
from PIL import Image
out = sys.argv[1]
w, h = 67, 45
rgba = Image.new('RGBA', (w, h))
rgba.putdata([((x * 3) % 256, (y * 5) % 256, (x * y) % 256, 255 if x < 30 else (x * 4) % 256)
              for y in range(h) for x in range(w)])
rgb = rgba.convert('RGB')
rgb.save(f'{out}/rgb24.bmp')
rgb.quantize(200).save(f'{out}/p8.bmp')
rgb.convert('L').save(f'{out}/l8.bmp')
rgba.save(f'{out}/rgba32.bmp')
rgb.convert('1').save(f'{out}/bw1.bmp')

def handmade(name, bits, info, compression, rows, top_down=False, gap=0, masks=b''):
    stride = (w * bits + 31) // 32 * 4
    pixels = b''.join(r + b'\0' * (stride - len(r)) for r in (rows if top_down else rows[::-1]))
    header = struct.pack('<IiiHHIIiiII', info, w, -h if top_down else h, 1, bits, compression, len(pixels),
                         2835, 2835, 0, 0) + masks
    header += b'\0' * (info - len(header))
    offset = 14 + info + gap
    data = b'BM' + struct.pack('<IHHI', offset + len(pixels), 0, 0, offset) + header + b'\x07' * gap + pixels
    open(f'{out}/{name}.bmp', 'wb').write(data)

px = list(rgb.getdata())
bgr = [b''.join(bytes((b, g, r)) for r, g, b in px[y * w:(y + 1) * w]) for y in range(h)]
bgrx = [b''.join(bytes((b, g, r, 0)) for r, g, b in px[y * w:(y + 1) * w]) for y in range(h)]
handmade('v4-rgb32-zero-masks', 32, 108, 0, bgrx)
handmade('gap24', 24, 40, 0, bgr, gap=10)
handmade('topdown24', 24, 40, 0, bgr, top_down=True)
handmade('rgb16', 16, 40, 0, [b'\x1f\x00' * w] * h)
handmade('p4', 4, 40, 0, [b'\x12' * ((w + 1) // 2)] * h)
handmade('rle8', 8, 40, 1, [b''] * h)
for name in ['rgb24', 'p8', 'l8', 'rgba32', 'v4-rgb32-zero-masks', 'gap24', 'topdown24']:
    im = Image.open(f'{out}/{name}.bmp')
    im = im.convert('RGBA') if 'A' in im.getbands() or im.mode == 'P' and 'transparency' in im.info else im
    if im.mode == 'RGBA':
        white = Image.new('RGBA', im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, im)
    open(f'{out}/{name}.rgb', 'wb').write(im.convert('RGB').tobytes())
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toonlora-bmp-pillow-'));
  await promisify(execFile)(resolveWorkerPython(), ['-c', SCRIPT, dir], { timeout: 90_000 });
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The largest difference of any channel between two images of the same length. */
function maxDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

describe('decodeBmp against Pillow', () => {
  it.each(['rgb24', 'p8', 'l8', 'rgba32', 'v4-rgb32-zero-masks', 'gap24', 'topdown24'])(
    '%s decodes to the pixels Pillow reads (max diff 0)',
    async (name) => {
      const image = decodeBmp(await readFile(join(dir, `${name}.bmp`)));
      expect([image.width, image.height]).toEqual([67, 45]);
      expect(maxDiff(image.data, await readFile(join(dir, `${name}.rgb`)))).toBe(0);
    },
  );

  it('refuses what it does not decode as Pillow does, naming the kind', async () => {
    const cases: Array<[string, RegExp]> = [
      ['rgb16', /^16-bit BMP is not supported/],
      ['p4', /^4-bit BMP is not supported/],
      ['bw1', /^1-bit BMP is not supported/],
      ['rle8', /^RLE-compressed 8-bit BMP is not supported/],
    ];
    for (const [name, message] of cases) {
      const bytes = await readFile(join(dir, `${name}.bmp`));
      expect(() => decodeBmp(bytes), name).toThrow(message);
    }
  });
});
