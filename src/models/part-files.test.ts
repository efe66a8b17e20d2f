// What a stopped pull left of a model, as `models list` (describeModel's partBytes) and the web's Models page
// see it: the bytes of its `.part` files wherever a pull keeps them, and a snapshot's committed files.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { describeModel } from './model-status.js';
import { snapshotFilesOnDisk } from './part-files.js';
import { getModelEntry } from './registry.js';

let root: string;
let options: { env: Record<string, string>; homeDir: string };

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'toonlora-parts-'));
  options = {
    env: { TOONLORA_HOME: join(root, 'tl'), HF_HOME: join(root, 'hf') },
    homeDir: join(root, 'home'),
  };
  return () => rmSync(root, { recursive: true, force: true });
});

function write(path: string, bytes: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, Buffer.alloc(bytes));
}

describe('the .part files a stopped pull left', () => {
  it('are counted for a release file and a Hugging Face file (and an older version’s)', () => {
    expect(describeModel('u2net', options).partBytes).toBeUndefined();
    write(join(root, 'tl', 'models', 'u2net', 'u2net.onnx.part'), 1234);
    expect(describeModel('u2net', options)).toMatchObject({ present: false, partBytes: 1234 });

    const hub = join(root, 'hf', 'hub');
    write(
      join(hub, 'models--stablediffusionapi--anything-v5', '.toonlora-partial', 'main', 'unet', 'w.part'),
      700,
    );
    write(join(root, 'tl', 'downloads', 'anything-v5', 'main', 'vae', 'w.part'), 300);
    write(
      join(hub, 'models--stablediffusionapi--anything-v5', '.toonlora-partial', 'main', 'unet', 'x.json'),
      50,
    );
    expect(describeModel('anything-v5', options).partBytes).toBe(1000);
  });

  it("finds a snapshot model's files a stopped pull committed, though findModelFile sees only complete ones", () => {
    const snapshot = join(root, 'hf', 'hub', 'models--stablediffusionapi--anything-v5', 'snapshots', 'c');
    expect(snapshotFilesOnDisk(getModelEntry('anything-v5'), options)).toEqual([]);
    write(join(snapshot, 'model_index.json'), 2);
    write(join(snapshot, 'unet', 'config.json'), 2);
    expect(snapshotFilesOnDisk(getModelEntry('anything-v5'), options)).toEqual([
      join(snapshot, 'model_index.json'),
      join(snapshot, 'unet', 'config.json'),
    ]);
    expect(snapshotFilesOnDisk(getModelEntry('u2net'), options)).toEqual([]);
  });
});
