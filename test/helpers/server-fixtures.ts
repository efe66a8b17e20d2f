// test/helpers/server-fixtures.ts — helpers for the server tests: a temp data folder, small PNGs
// (encoded by sharp), multipart bodies for `inject`, a parsed SSE stream, seeded uploads and datasets.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterEach, vi } from 'vitest';
import { uploadRelPath } from '../../src/jobs/data-layout.js';
import type { CacheOptions } from '../../src/models/cache.js';
import { MIN_IMAGE_SIDE_PX } from '../../src/prep/decode.js';
import { buildApp } from '../../src/server/app.js';
import { encodePngBuffer } from '../../src/vision/sharp-io.js';
import { finishedPrep } from './big-dataset.js';

export function tempDataDir(label = 'server'): string {
  return mkdtempSync(join(tmpdir(), `toonlora-${label}-`));
}

/**
 * The model homes of an app or server on `dataDir`, empty and its own: toonlora's home (the models in-use marker,
 * LoRA copies, pulls) and the HF cache in the sibling folder `<dataDir>-home`, the same for every start on that data
 * folder. Without them a test's app writes into the default home (the run's sandbox HOME: test/helpers/sandbox-home.ts).
 */
export function modelHomesEnv(dataDir: string): { TOONLORA_HOME: string; HF_HOME: string } {
  return { TOONLORA_HOME: join(`${dataDir}-home`, 'toonlora'), HF_HOME: join(`${dataDir}-home`, 'hf') };
}

/**
 * `modelHomesEnv` over this process's environment as buildApp's `modelCache` (its home folder `<dataDir>-home` too:
 * rembg's cache, `~` paths). An HF_HUB_CACHE the test set before building the app still names the hub cache.
 */
export function tempModelCache(dataDir: string): CacheOptions {
  return { env: { ...process.env, ...modelHomesEnv(dataDir) }, homeDir: `${dataDir}-home` };
}

/**
 * A maker of apps for request checks: a fresh data folder each, jobs left queued (`deferJobs`, runners
 * that never run), every app closed after each test. Call at a test file's top level.
 */
export function queueOnlyApps(label: string): () => Promise<FastifyInstance> {
  const apps: FastifyInstance[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });
  return async () => {
    const never = async () => ({});
    const dataDir = tempDataDir(label);
    const app = await buildApp({
      dataDir,
      modelCache: tempModelCache(dataDir),
      webDir: '/nonexistent',
      runners: { prep: never, train: never, generate: never },
      deferJobs: true,
    });
    apps.push(app);
    await app.ready();
    return app;
  };
}

/**
 * A width x height RGB PNG filled with one colour; by default the smallest the upload accepts (prep's minimum
 * shorter side: smaller images are refused).
 */
export async function solidPng(
  width = MIN_IMAGE_SIDE_PX,
  height = width,
  rgb: [number, number, number] = [200, 80, 40],
): Promise<Buffer> {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return encodePngBuffer({ width, height, data });
}

export interface MultipartFile {
  field?: string;
  filename: string;
  contentType?: string;
  data: Buffer;
}

/** A multipart/form-data body and its content-type header. */
export function multipartBody(files: readonly MultipartFile[]): {
  payload: Buffer;
  headers: Record<string, string>;
} {
  const boundary = `----toonlora${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const file of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'files'}"; filename="${file.filename}"\r\n` +
          `Content-Type: ${file.contentType ?? 'image/png'}\r\n\r\n`,
      ),
    );
    chunks.push(file.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(chunks),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** Parses a text/event-stream body into its events (`id`, `event`, parsed `data`). */
export function parseSse(text: string): Array<{ id?: string; event?: string; data: unknown }> {
  return text
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':'))
    .map((block) => {
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const at = line.indexOf(': ');
        if (at > 0) fields[line.slice(0, at)] = line.slice(at + 2);
      }
      return { id: fields.id, event: fields.event, data: fields.data ? JSON.parse(fields.data) : undefined };
    });
}

/** Entries of a zip buffer (local headers; stored or deflated), for checking downloads. */
export function readZipEntries(zip: Buffer): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  let at = 0;
  while (at + 30 <= zip.length && zip.readUInt32LE(at) === 0x04034b50) {
    const flags = zip.readUInt16LE(at + 6);
    const method = zip.readUInt16LE(at + 8);
    let size = zip.readUInt32LE(at + 18);
    const nameLength = zip.readUInt16LE(at + 26);
    const extraLength = zip.readUInt16LE(at + 28);
    const name = zip.subarray(at + 30, at + 30 + nameLength).toString('utf8');
    const start = at + 30 + nameLength + extraLength;
    if (flags & 0x08) {
      // sizes follow the data in a descriptor: find it by its signature
      const descriptor = zip.indexOf(Buffer.from([0x50, 0x4b, 0x07, 0x08]), start);
      size = zip.readUInt32LE(descriptor + 8);
    }
    const raw = zip.subarray(start, start + size);
    entries.set(name, method === 8 ? inflateRawSync(raw) : Buffer.from(raw));
    at = start + size + (flags & 0x08 ? 16 : 0);
  }
  return entries;
}

/** A character (named `name`: names are unique) with a finished dataset version of two crops, as a prep job
 * leaves it. */
export async function seedDataset(
  app: FastifyInstance,
  name = 'Mina',
): Promise<{ characterId: string; datasetId: string }> {
  const { character, prep, folder } = finishedPrep(app, name);
  const items = [];
  for (const name of ['a', 'b']) {
    writeFileSync(join(app.dataDir, folder, `${name}.png`), await solidPng(16, 16));
    items.push({
      key: name,
      source: `${name}.png`,
      imagePath: `${folder}/${name}.png`,
      caption: `mina_tl, girl ${name}`,
      stages: { original: `${folder}/${name}.png`, textRemoved: null, mask: null, crop: null },
    });
  }
  const dataset = app.catalog.createDataset({
    characterId: character.id,
    jobId: prep.id,
    dir: `jobs/${prep.id}`,
    items,
    skipped: [{ source: 'blank.png', status: 'skipped', reason: 'no character found' }],
  });
  return { characterId: character.id, datasetId: dataset.id };
}

/** What a server started on `dataDir` (no runners) and closed again wrote to stderr. */
export async function stderrOfStartAndClose(dataDir: string): Promise<string[]> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    const app = await buildApp({ dataDir, webDir: '/nonexistent', runners: {} });
    await app.ready();
    await app.close();
  } finally {
    spy.mockRestore();
  }
  return written;
}

/** For stand-in runners that hold a job open: settles (rejecting, as a stopped job does) once `signal` aborts. */
export async function untilStopped(signal: AbortSignal): Promise<never> {
  await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  throw new Error('stopped');
}

/**
 * A character (Mina) with one stored PNG upload per name (`<name>.png`), as small as the upload accepts (a smaller one
 * is refused), recorded in the catalog as the upload route records them; returns the character and each upload's
 * path inside the data folder.
 */
export async function seedUploads(
  app: FastifyInstance,
  names: readonly string[] = ['a'],
): Promise<{ characterId: string; storedPaths: string[] }> {
  const character = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
  const png = await solidPng(MIN_IMAGE_SIDE_PX, MIN_IMAGE_SIDE_PX);
  const images = names.map((name) => {
    const id = randomUUID();
    const storedPath = uploadRelPath(character.id, id, 'png');
    mkdirSync(dirname(join(app.dataDir, storedPath)), { recursive: true });
    writeFileSync(join(app.dataDir, storedPath), png);
    return {
      id,
      originalName: `${name}.png`,
      storedPath,
      format: 'png' as const,
      width: MIN_IMAGE_SIDE_PX,
      height: MIN_IMAGE_SIDE_PX,
      bytes: png.length,
      sha256: name,
    };
  });
  app.catalog.addImages(character.id, images);
  return { characterId: character.id, storedPaths: images.map((image) => image.storedPath) };
}
