// src/jobs/zip-stream.test.ts — zipStream: a zip of readable files streams; a file gone since it was listed fails the
// stream with ENOENT instead of an uncaught 'error' on yazl's ZipFile (which ended `serve`).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { zipStream } from './zip-stream.js';

function sink(): { stream: Writable; bytes: () => number } {
  let n = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      n += chunk.length;
      done();
    },
  });
  return { stream, bytes: () => n };
}

describe('zipStream', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toonlora-zip-stream-'));
  writeFileSync(join(dir, 'a.txt'), 'hello');

  it('streams the zip of the files it is given', async () => {
    const out = sink();
    await pipeline(
      zipStream((zip) => zip.addFile(join(dir, 'a.txt'), 'x/a.txt')),
      out.stream,
    );
    expect(out.bytes()).toBeGreaterThan(100); // local header + data + central directory
  });

  it('fails its stream, not the process, for a file that is gone', async () => {
    const out = sink();
    const stream = zipStream((zip) => {
      zip.addFile(join(dir, 'a.txt'), 'x/a.txt');
      zip.addFile(join(dir, 'gone.txt'), 'x/gone.txt');
    });
    await expect(pipeline(stream, out.stream)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
