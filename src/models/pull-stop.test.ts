// Tests that a pull's stop signal (Ctrl-C, the web's cancel) ends it at once also while it waits for another
// process's lock or reads a large file to hash it, keeping `.part` files and leaving checked files as they were.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { acquireInstallLock, LockWaitStopped } from '../host/install-lock.js';
import { DownloadStopped, downloadToPart } from './download.js';
import { VerifyStopped } from './file-check.js';
import { pullModel } from './pull.js';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'toonlora-pull-stop-'));
  return () => rmSync(root, { recursive: true, force: true });
});

const opts = (signal: AbortSignal) => ({
  env: { TOONLORA_HOME: join(root, 'tl'), HF_HOME: join(root, 'hf'), HF_ENDPOINT: 'http://127.0.0.1:9' },
  homeDir: join(root, 'home'),
  freeBytes: async () => 1e15,
  signal,
});

/** What `promise` settles with, or 'still running' after `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve('still running'), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ value }),
        (error: unknown) => error,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('pullModel stopped by its signal', () => {
  it("stops while waiting for another process's lock on the model", async () => {
    const held = await acquireInstallLock(join(root, 'tl', 'downloads', 'wd-vit-tagger-v3.lock'), {
      what: 'model wd-vit-tagger-v3',
    });
    try {
      const stop = new AbortController();
      const waits: string[] = [];
      const pull = pullModel('wd-vit-tagger-v3', {
        ...opts(stop.signal),
        onWaitForLock: (message) => {
          waits.push(message);
          stop.abort();
        },
      });
      const outcome = await within(pull, 5000);
      expect(waits).toHaveLength(1);
      expect(outcome).toBeInstanceOf(LockWaitStopped);
    } finally {
      await held.release();
    }
  });

  it("stops a pull by Hub id (owner/name) while waiting for another process's lock on it", async () => {
    const held = await acquireInstallLock(join(root, 'tl', 'downloads', 'hub--someone--toon-sd15.lock'), {
      what: 'model someone/toon-sd15',
    });
    try {
      const stop = new AbortController();
      const pull = pullModel('someone/toon-sd15', {
        ...opts(stop.signal),
        onWaitForLock: () => stop.abort(),
      });
      expect(await within(pull, 5000)).toBeInstanceOf(LockWaitStopped);
    } finally {
      await held.release();
    }
  });

  it('stops while hashing a large file on disk, leaving it where it was (not moved aside)', async () => {
    const detector = join(
      root,
      'tl',
      'models',
      'anime-person-detector',
      'person_detect_v1.3_s',
      'model.onnx',
    );
    mkdirSync(join(detector, '..'), { recursive: true });
    writeFileSync(detector, '');
    truncateSync(detector, 44_583_231); // the registry's size: it is hashed
    const stop = new AbortController();
    const corrupt: string[] = [];
    const outcome = await within(
      pullModel('anime-person-detector', {
        ...opts(stop.signal),
        onVerifyStart: () => stop.abort(),
        onCorrupt: ({ movedTo }) => corrupt.push(movedTo),
      }),
      5000,
    );
    expect(outcome).toBeInstanceOf(VerifyStopped);
    expect(corrupt).toEqual([]);
    expect(statSync(detector).size).toBe(44_583_231);
  });
});

describe('downloadToPart stopped by its signal', () => {
  it('stops while hashing the .part it resumes, and keeps it', async () => {
    const part = join(root, 'model.bin.part');
    writeFileSync(part, '');
    truncateSync(part, 50_000_000);
    writeFileSync(`${part}.json`, JSON.stringify({ tag: 'v1' }));
    const stop = new AbortController();
    const fetchImpl: typeof fetch = async () => {
      stop.abort(); // Ctrl-C as the answer arrives: the part is then read to hash it
      return new Response('rest', {
        status: 206,
        headers: { etag: '"v1"', 'content-range': 'bytes 50000000-50000003/50000004' },
      });
    };
    const outcome = await within(
      downloadToPart({
        url: 'http://127.0.0.1:9/model.bin',
        partPath: part,
        modelId: 'test-model',
        manualPath: join(root, 'model.bin'),
        signal: stop.signal,
        fetchImpl,
      }),
      5000,
    );
    expect(outcome).toBeInstanceOf(DownloadStopped);
    expect(statSync(part).size).toBe(50_000_000);
    expect(existsSync(join(root, 'model.bin'))).toBe(false);
  });
});
