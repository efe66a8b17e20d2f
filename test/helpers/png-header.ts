// test/helpers/png-header.ts — a PNG that is all header: signature, an IHDR declaring any size, an
// empty IDAT and IEND. Prep's tests write it as a decompression bomb (a huge declared size in a few
// bytes) or a long strip, to check that the pixel limit refuses a file before it is decoded.
import { crc32 } from 'node:zlib';

/** One PNG chunk: length, type, data and the CRC-32 of type + data. */
function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A valid PNG signature + IHDR declaring `width` x `height` (8-bit RGB), an empty IDAT (libvips needs
 * one to read the header) and IEND.
 */
export function pngHeaderOnly(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.alloc(0)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
