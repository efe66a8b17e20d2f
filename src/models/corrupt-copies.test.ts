// Tests of finding and deleting the `.corrupt` copies `models pull` moves bad files aside to.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  findAllCorruptCopies,
  findCorruptCopies,
  isCorruptCopyName,
  removeCorruptCopiesOf,
} from './corrupt-copies.js';
import { getModelEntry } from './registry.js';

let root: string;
const opts = () => ({
  env: { TOONLORA_HOME: join(root, 'tl'), HF_HOME: join(root, 'hf'), U2NET_HOME: join(root, 'u2net') },
  homeDir: root,
});

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'toonlora-corrupt-'));
  return () => rmSync(root, { recursive: true, force: true });
});

function put(path: string, bytes: number): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, Buffer.alloc(bytes));
  return path;
}

describe('corrupt copies', () => {
  it('recognises the names moveAside gives', () => {
    expect(isCorruptCopyName('model.onnx.corrupt')).toBe(true);
    expect(isCorruptCopyName('model.onnx.corrupt-3')).toBe(true);
    expect(isCorruptCopyName('model.onnx')).toBe(false);
    expect(isCorruptCopyName('corrupt.onnx')).toBe(false);
  });

  it("finds each model's copies with their sizes, in toonlora's home, rembg's cache and the HF cache", () => {
    const isnet = put(join(root, 'u2net', 'isnet-anime.onnx.corrupt'), 10);
    const u2net = put(join(root, 'u2net', 'u2net.onnx.corrupt-2'), 20);
    const lama = put(join(root, 'tl', 'models', 'lama', 'lama_fp32.onnx.corrupt'), 30);
    put(join(root, 'tl', 'models', 'lama', 'lama_fp32.onnx'), 5); // not a copy
    expect(findCorruptCopies(getModelEntry('isnet-anime'), opts())).toEqual([
      { model: 'isnet-anime', path: isnet, bytes: 10 },
    ]);
    expect(findAllCorruptCopies(opts())).toEqual(
      expect.arrayContaining([
        { model: 'isnet-anime', path: isnet, bytes: 10 },
        { model: 'u2net', path: u2net, bytes: 20 },
        { model: 'lama', path: lama, bytes: 30 },
      ]),
    );
    expect(findAllCorruptCopies(opts())).toHaveLength(3);
  });

  it("keeps a cache link's blob that another snapshot still links to", async () => {
    const repo = join(root, 'hf', 'hub', 'models--Carve--LaMa-ONNX');
    put(join(repo, 'blobs', 'shared'), 7);
    mkdirSync(join(repo, 'snapshots', 'a'), { recursive: true });
    mkdirSync(join(repo, 'snapshots', 'b'), { recursive: true });
    symlinkSync('../../blobs/shared', join(repo, 'snapshots', 'a', 'lama_fp32.onnx.corrupt'));
    symlinkSync('../../blobs/shared', join(repo, 'snapshots', 'b', 'lama_fp32.onnx'));
    const removed = await removeCorruptCopiesOf(getModelEntry('lama'), 'lama_fp32.onnx', opts());
    expect(removed).toEqual([
      { model: 'lama', path: join(repo, 'snapshots', 'a', 'lama_fp32.onnx.corrupt'), bytes: 7 },
    ]);
    expect(existsSync(join(repo, 'snapshots', 'a', 'lama_fp32.onnx.corrupt'))).toBe(false);
    expect(existsSync(join(repo, 'blobs', 'shared'))).toBe(true);
  });
});
