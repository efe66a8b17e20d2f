// bench/remote-dataset-rss.ts — `npx tsx bench/remote-dataset-rss.ts [MiB]`: the peak RSS of a remote worker
// receiving a dataset zip of about MiB MiB (default 300: stored PNG-like entries of 8 MiB of random bytes), served by
// a plain HTTP server in another process. Each side runs in its own child process and prints its maxRSS:
// `stream` is today's path (WorkerClient.downloadTo to a file, unzipFileTo from it), `buffer` the path before it
// (the body read whole into a Buffer, unpacked with yauzl.fromBuffer, as the old download() + unzipTo did).
// Works in a temporary folder, removed at the end.
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { unzipFileTo } from '../src/jobs/remote/unzip.js';
import { WorkerClient } from '../src/jobs/remote/worker-client.js';

const ENTRY_BYTES = 8 * 1024 * 1024;
const MiB = 1024 * 1024;

async function makeZip(file: string, mib: number): Promise<void> {
  const zip = new yazl.ZipFile();
  const done = pipeline(zip.outputStream, createWriteStream(file));
  for (let i = 0; i * ENTRY_BYTES < mib * MiB; i += 1) {
    zip.addBuffer(randomBytes(ENTRY_BYTES), `10_sks girl/${i}.png`, { compress: false });
  }
  zip.end();
  await done;
}

/** The path before: the whole body in a Buffer, unpacked from it (yauzl.fromBuffer), entry by entry. */
async function bufferSide(url: string, out: string): Promise<number> {
  const res = await fetch(url);
  const zip = Buffer.from(await res.arrayBuffer());
  const zipfile = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
  let files = 0;
  for await (const entry of zipfile.eachEntry()) {
    const path = join(out, entry.fileName);
    await mkdir(dirname(path), { recursive: true });
    await pipeline(await zipfile.openReadStreamPromise(entry), createWriteStream(path));
    files += 1;
  }
  zipfile.close();
  return files;
}

async function streamSide(url: string, out: string): Promise<number> {
  const file = join(out, '.dataset.download.zip');
  await mkdir(out, { recursive: true });
  await new WorkerClient(new URL(url).origin).downloadTo(new URL(url).pathname, file, 8 * 1024 ** 3);
  const files = await unzipFileTo(file, join(out, 'train-data'), 'dataset zip');
  await rm(file);
  return files;
}

async function child(side: string, url: string, out: string): Promise<void> {
  const started = Date.now();
  const files = side === 'buffer' ? await bufferSide(url, out) : await streamSide(url, out);
  const peak = process.resourceUsage().maxRSS / 1024; // KiB -> MiB
  process.stdout.write(
    `${JSON.stringify({ side, files, peakRssMiB: Math.round(peak), seconds: (Date.now() - started) / 1000 })}\n`,
  );
}

async function main(): Promise<void> {
  const mib = Number(process.argv[2] ?? 300);
  const dir = await mkdtemp(join(tmpdir(), 'tl-rss-'));
  try {
    const zipFile = join(dir, 'dataset.zip');
    await makeZip(zipFile, mib);
    const { size } = await stat(zipFile);
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/zip' }); // chunked, as the server's dataset zip route
      createReadStream(zipFile).pipe(res);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/datasets/ds/zip`;
    process.stdout.write(`dataset zip: ${(size / MiB).toFixed(0)} MiB\n`);
    const self = fileURLToPath(import.meta.url);
    const tsx = resolve(dirname(self), '..', 'node_modules', '.bin', 'tsx');
    for (const side of ['buffer', 'stream']) {
      const { stdout } = await promisify(execFile)(tsx, [self, '--child', side, url, join(dir, side)]);
      process.stdout.write(stdout);
      await rm(join(dir, side), { recursive: true, force: true });
    }
    server.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] ?? 'stream', process.argv[4] ?? '', process.argv[5] ?? '');
} else {
  await main();
}
