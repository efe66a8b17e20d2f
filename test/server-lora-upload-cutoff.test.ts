// test/server-lora-upload-cutoff.test.ts — a LoRA upload (POST /api/loras) cut off while its file streams in: a
// server killed then (kill -9) leaves the part written with its `.uploading` mark, and the next start removes both
// and says so (before, the part stayed in loras/ for good, unlisted, and the start said nothing); a client that
// disconnects leaves nothing behind.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { type ClientRequest, request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/server/app.js';
import { startServeProcess } from './helpers/serve-process.js';
import { tempDataDir, tempModelCache } from './helpers/server-fixtures.js';

const MB = 1_000_000;
const BOUNDARY = '----toonloracutoff';

const lorasDir = (dataDir: string, characterId: string) => join(dataDir, 'characters', characterId, 'loras');
const listed = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

async function until(what: string, done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function createCharacter(url: string): Promise<string> {
  const res = await fetch(`${url}/api/characters`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/**
 * Starts uploading a LoRA of `declared` bytes (its length in the request's header) and sends only `sent` bytes of
 * it; the request stays open. Errors of the request (the server killed, the socket destroyed) are ignored.
 */
async function startCutUpload(url: string, characterId: string, declared: number, sent: number) {
  const head = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="mina.safetensors"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  const req: ClientRequest = request(`${url}/api/loras?characterId=${characterId}`, {
    method: 'POST',
    headers: {
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      'content-length': head.length + declared + tail.length,
    },
  });
  req.on('error', () => undefined);
  req.write(head);
  const chunk = Buffer.alloc(64 * 1024, 7);
  for (let written = 0; written < sent; written += chunk.length) {
    if (!req.write(chunk)) await new Promise((resolve) => req.once('drain', resolve));
  }
  return req;
}

/** The stored part of the upload in `dir`, once the server has written at least `bytes` of it. */
async function partWritten(dir: string, bytes: number): Promise<string> {
  let part = '';
  await until(`${bytes} bytes in ${dir}`, () => {
    part = listed(dir).find((name) => name.endsWith('.safetensors')) ?? '';
    return part !== '' && statSync(join(dir, part)).size >= bytes;
  });
  return part;
}

describe('a LoRA upload cut off mid-stream', () => {
  it('by a server killed (kill -9): the next start removes the part and its mark, and says so', async () => {
    const dataDir = tempDataDir('lora-upload-killed');
    const first = await startServeProcess(dataDir);
    let characterId: string;
    let part: string;
    try {
      characterId = await createCharacter(first.url);
      await startCutUpload(first.url, characterId, 50 * MB, 3 * MB);
      part = await partWritten(lorasDir(dataDir, characterId), MB);
    } finally {
      await first.kill();
    }
    expect(listed(lorasDir(dataDir, characterId))).toEqual([part, `${part}.uploading`]);

    const second = await startServeProcess(dataDir);
    try {
      const line =
        /removed 1 uploaded LoRA file no LoRA points to \(left by a server stopped mid-upload\) from 1 character's loras\/ \(\d+\.\d MB freed\)/;
      await until('the start line', () => line.test(second.stderr()), 10_000);
      expect(listed(lorasDir(dataDir, characterId))).toEqual([]);
      const loras = await fetch(`${second.url}/api/artifacts?kind=lora`);
      expect(await loras.json()).toEqual({ artifacts: [] });
    } finally {
      await second.stop();
    }
  }, 180_000);

  it('by the client disconnecting: nothing is left in loras/, nothing is recorded', async () => {
    const dataDir = tempDataDir('lora-upload-disconnect');
    const app = await buildApp({
      dataDir,
      modelCache: tempModelCache(dataDir),
      webDir: '/nonexistent',
      runners: {},
    });
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const characterId = await createCharacter(url);
      const req = await startCutUpload(url, characterId, 50 * MB, 2 * MB);
      await partWritten(lorasDir(dataDir, characterId), MB);
      req.destroy();
      await until('loras/ emptied', () => listed(lorasDir(dataDir, characterId)).length === 0, 10_000);
      expect(app.catalog.listArtifacts({ characterId })).toEqual([]);
    } finally {
      await app.close();
    }
  }, 60_000);
});
