// src/jobs/zip-stream.ts — a zip built with yazl as a readable stream whose read errors fail the stream: yazl emits a
// file it cannot read (deleted since it was listed) on the ZipFile, where with no listener it would be an uncaught
// exception that ends the server. The dataset export and the PEFT LoRA download build their zips through it.
import type { Readable } from 'node:stream';
import yazl from 'yazl';

/** The zip `fill` adds entries to (it is ended after), as a stream that fails with the error of a file it cannot read. */
export function zipStream(fill: (zip: yazl.ZipFile) => void): Readable {
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as unknown as Readable; // a PassThrough
  zip.on('error', (error: Error) => output.destroy(error));
  fill(zip);
  zip.end();
  return output;
}
