// src/models/pull-verify.test.ts — `models pull` checking files against the registry (fake Hub on 127.0.0.1):
// a bad file on disk moved aside as .corrupt, old .corrupt copies cleared, a file far smaller than listed.
import { existsSync, mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isModelPresent } from './cache.js';
import { pullModel } from './pull.js';
import { fakeHubForFile, wdRepo } from './pull-testing.js';

const fake = fakeHubForFile();
const { opts } = fake;

describe('pullModel with a bad file already on disk', () => {
  const detector = () =>
    join(fake.root, 'tl', 'models', 'anime-person-detector', 'person_detect_v1.3_s', 'model.onnx');

  it('moves an 8-byte file aside as .corrupt, names it, and downloads again', async () => {
    mkdirSync(join(detector(), '..'), { recursive: true });
    writeFileSync(detector(), 'garbage!');
    const corrupt: { path: string; movedTo: string; problems: string[] }[] = [];
    const error = await pullModel('anime-person-detector', {
      ...opts(),
      onCorrupt: (info) => corrupt.push(info),
    }).catch((e: unknown) => e);
    expect(corrupt).toEqual([
      {
        modelId: 'anime-person-detector',
        file: 'person_detect_v1.3_s/model.onnx',
        path: detector(),
        movedTo: `${detector()}.corrupt`,
        problems: ['size: expected 44583231 bytes, got 8'],
      },
    ]);
    expect(readFileSync(`${detector()}.corrupt`, 'utf8')).toBe('garbage!');
    // it was fetched again (the test server's copy is wrong too, so this pull fails on the checksum)
    expect(fake.requests.some((r) => r.endsWith('/person_detect_v1.3_s/model.onnx'))).toBe(true);
    expect(error).toMatchObject({ code: 'TL_ERR_CHECKSUM' });
  });

  it('hashes a file of the right size, says so first, and moves it aside on a sha256 mismatch', async () => {
    mkdirSync(join(detector(), '..'), { recursive: true });
    writeFileSync(detector(), '');
    truncateSync(detector(), 44_583_231); // right size, all zeros
    const events: string[] = [];
    await pullModel('anime-person-detector', {
      ...opts(),
      onVerifyStart: ({ path, bytes }) => events.push(`verify ${path} ${bytes}`),
      onCorrupt: ({ movedTo, problems }) => events.push(`corrupt ${movedTo} ${problems.join(';')}`),
    }).catch(() => undefined);
    expect(events[0]).toBe(`verify ${detector()} 44583231`);
    expect(events[1]).toMatch(
      /^corrupt .*model\.onnx\.corrupt sha256: expected 6da88929.*, got [0-9a-f]{64}$/,
    );
    expect(existsSync(`${detector()}.corrupt`)).toBe(true);
  });
});

describe('pullModel and the .corrupt copies of earlier pulls', () => {
  it("deletes a file's .corrupt copies (a cache link takes its blob along) once its verified download is in place", async () => {
    const manual = join(fake.root, 'tl', 'models', 'wd-vit-tagger-v3');
    mkdirSync(manual, { recursive: true });
    writeFileSync(join(manual, 'model.onnx.corrupt'), 'bad bytes');
    const oldSnapshot = join(wdRepo(fake.root), 'snapshots', '0'.repeat(40));
    mkdirSync(oldSnapshot, { recursive: true });
    mkdirSync(join(wdRepo(fake.root), 'blobs'), { recursive: true });
    writeFileSync(join(wdRepo(fake.root), 'blobs', 'badblob'), 'bad blob bytes');
    symlinkSync('../../blobs/badblob', join(oldSnapshot, 'model.onnx.corrupt-2'));
    // another model's copy stays: only a verified download of the same file clears it
    mkdirSync(join(fake.root, 'tl', 'models', 'u2net'), { recursive: true });
    writeFileSync(join(fake.root, 'tl', 'models', 'u2net', 'u2net.onnx.corrupt'), 'x');
    const removed: string[] = [];
    await pullModel('wd-vit-tagger-v3', {
      ...opts(),
      onCorruptRemoved: ({ modelId, file, path, bytes }) =>
        removed.push(`${modelId} ${file} ${path} ${bytes}`),
    });
    expect(removed.sort()).toEqual(
      [
        `wd-vit-tagger-v3 model.onnx ${join(manual, 'model.onnx.corrupt')} 9`,
        `wd-vit-tagger-v3 model.onnx ${join(oldSnapshot, 'model.onnx.corrupt-2')} 14`,
      ].sort(),
    );
    expect(existsSync(join(manual, 'model.onnx.corrupt'))).toBe(false);
    expect(existsSync(join(wdRepo(fake.root), 'blobs', 'badblob'))).toBe(false);
    expect(existsSync(join(fake.root, 'tl', 'models', 'u2net', 'u2net.onnx.corrupt'))).toBe(true);
  });
});

describe('pullModel: a file far smaller than the registry says', () => {
  it('is refused when nothing states its checksum (a 10-byte "model.onnx" of about 379 MB)', async () => {
    fake.linkedEtag = false;
    const error = (await pullModel('wd-vit-tagger-v3', opts()).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_CHECKSUM' });
    expect(error.message).toContain('size: 10 bytes, far below the 379000000 or so expected');
    expect(isModelPresent('wd-vit-tagger-v3', opts())).toBe(false);
  });
});
