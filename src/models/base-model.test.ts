// What the worker is told to load for a base-model name: a registry base where the registry found it
// (a hand-placed folder included), anything else unchanged; a server job's check that it is there.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { thrownToonloraError } from '../errors-testing.js';
import { DEFAULT_BASE_MODEL } from '../schemas/config.js';
import {
  baseModelChoices,
  checkBaseModelName,
  checkBaseModelOnDisk,
  localBasePath,
  registryBaseModelId,
  registryBaseModelIds,
  sd15ConfigDir,
  workerBaseModel,
} from './base-model.js';
import { hubCacheSnapshotDir } from './cache.js';
import { getModelEntry } from './registry.js';
import { writeSd15Snapshot } from './sd15-testing.js';

let root: string;
let options: { env: Record<string, string>; homeDir: string; projectRoot: string };

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'toonlora-base-'));
  options = {
    env: { TOONLORA_HOME: join(root, 'tl'), HF_HOME: join(root, 'hf') },
    homeDir: join(root, 'home'),
    projectRoot: join(root, 'repo'),
  };
  return () => rmSync(root, { recursive: true, force: true });
});

/** Writes every file the registry requires of anything-v5 into `dir`. */
function placeAnythingV5(dir: string): string {
  for (const file of getModelEntry('anything-v5').source.files) {
    const path = join(dir, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '{}');
  }
  return dir;
}

describe('registryBaseModelId', () => {
  it('knows the registry base by its id and by its Hugging Face repo, and nothing else', () => {
    expect(registryBaseModelIds()).toEqual(['anything-v5']);
    expect(registryBaseModelId('anything-v5')).toBe('anything-v5');
    expect(registryBaseModelId(DEFAULT_BASE_MODEL)).toBe('anything-v5');
    expect(registryBaseModelId('lama')).toBeUndefined(); // a registry model, not a base
    expect(registryBaseModelId('someone/other-model')).toBeUndefined();
    expect(registryBaseModelId('tiny')).toBeUndefined();
  });
});

describe('baseModelChoices', () => {
  it('lists the registry base under both its names, present only once it is on disk, then tiny', () => {
    const absent = baseModelChoices(options);
    expect(absent.map((c) => [c.name, c.aliases, c.present])).toEqual([
      ['anything-v5', ['anything-v5', DEFAULT_BASE_MODEL], false],
      ['tiny', ['tiny'], true],
    ]);
    placeAnythingV5(join(root, 'tl', 'models', 'anything-v5'));
    expect(baseModelChoices(options)[0]?.present).toBe(true);
  });
});

describe('workerBaseModel', () => {
  it('names the Hub repo while the registry base is not on disk (the worker then names the pull)', () => {
    expect(workerBaseModel('anything-v5', options)).toBe(DEFAULT_BASE_MODEL);
    expect(workerBaseModel(DEFAULT_BASE_MODEL, options)).toBe(DEFAULT_BASE_MODEL);
    expect(sd15ConfigDir(options)).toBeNull();
  });

  it('sends the hand-placed folder `models pull` told the user to fill', () => {
    const dir = placeAnythingV5(join(root, 'tl', 'models', 'anything-v5'));
    expect(workerBaseModel(DEFAULT_BASE_MODEL, options)).toBe(dir);
    expect(workerBaseModel('anything-v5', options)).toBe(dir);
    expect(sd15ConfigDir(options)).toBe(dir);
  });

  it('sends the pulled Hugging Face snapshot folder', () => {
    const repo = join(root, 'hf', 'hub', 'models--stablediffusionapi--anything-v5');
    const snapshot = placeAnythingV5(join(repo, 'snapshots', 'a'.repeat(40)));
    expect(workerBaseModel(DEFAULT_BASE_MODEL, options)).toBe(snapshot);
    expect(sd15ConfigDir(options)).toBe(snapshot);
  });

  it('passes tiny, Hub ids and absolute paths unchanged', () => {
    placeAnythingV5(join(root, 'tl', 'models', 'anything-v5'));
    for (const name of ['tiny', 'someone/other-model', '/models/mine.safetensors']) {
      expect(workerBaseModel(name, { ...options, cwd: root }), name).toBe(name);
    }
  });

  it("makes a relative path absolute against the user's folder, not the worker's (trainer/)", () => {
    const cwd = join(root, 'work');
    mkdirSync(join(cwd, 'localbase'), { recursive: true });
    mkdirSync(join(cwd, 'someone', 'other-model'), { recursive: true });
    const at = { ...options, cwd };
    expect(workerBaseModel('bad.safetensors', at)).toBe(join(cwd, 'bad.safetensors')); // a path even when absent
    expect(workerBaseModel('./x.safetensors', at)).toBe(join(cwd, 'x.safetensors'));
    expect(workerBaseModel('../up/x.ckpt', at)).toBe(join(root, 'up', 'x.ckpt'));
    expect(workerBaseModel('./not-there', at)).toBe(join(cwd, 'not-there'));
    expect(workerBaseModel('~/bases/b.safetensors', at)).toBe(join(root, 'home', 'bases', 'b.safetensors'));
    expect(workerBaseModel('localbase', at)).toBe(join(cwd, 'localbase')); // an existing diffusers folder
    expect(workerBaseModel('someone/other-model', at)).toBe(join(cwd, 'someone', 'other-model'));
    expect(workerBaseModel('someone/not-here', at)).toBe('someone/not-here'); // a Hub id
    mkdirSync(join(cwd, 'tiny'));
    expect(workerBaseModel('tiny', at)).toBe('tiny');
  });

  it('refuses a near miss of a known base, with did-you-mean, and passes other unknown names', () => {
    const at = { ...options, cwd: root };
    const refused = thrownToonloraError(() => workerBaseModel('anythng-v5', at));
    expect(refused.code).toBe('TL_ERR_MODEL_UNKNOWN');
    expect(refused.message).toContain('unknown base model "anythng-v5"');
    expect(refused.message).toContain('did you mean anything-v5?');
    expect(thrownToonloraError(() => checkBaseModelName('--base', 'tinny', at)).message).toMatch(
      /^--base: .*did you mean tiny\?/,
    );
    // Hub ids go to the worker: the Hub has many a letter or two from anything-v5
    for (const hubId of [
      'stablediffusionapi/anything-v3',
      'stablediffusionapi/rev-animated',
      'stablediffusionapi/anythingv5',
      'someone/other-model',
    ]) {
      expect(workerBaseModel(hubId, at)).toBe(hubId);
    }
    mkdirSync(join(root, 'anythng-v5'));
    expect(workerBaseModel('anythng-v5', at)).toBe(join(root, 'anythng-v5')); // a local folder of that name
  });
});

describe('a base-model name from the API (fromApi)', () => {
  it("is never a local folder: owner/name is the Hugging Face cache's snapshot, whatever the cwd holds", () => {
    const cwd = join(root, 'work');
    mkdirSync(join(cwd, 'someone', 'other-model'), { recursive: true });
    mkdirSync(join(cwd, 'someone', 'local-only'), { recursive: true });
    const snapshot = writeSd15Snapshot(
      join(root, 'hf', 'hub', 'models--someone--other-model', 'snapshots', 'abc123'),
    );
    const api = { ...options, cwd, fromApi: true };
    expect(workerBaseModel('someone/other-model', { ...options, cwd })).toBe(
      join(cwd, 'someone', 'other-model'),
    );
    expect(workerBaseModel('someone/other-model', api)).toBe(snapshot);
    expect(localBasePath('someone/local-only', api)).toBeUndefined();
    const missing = thrownToonloraError(() => workerBaseModel('someone/local-only', api));
    expect(missing.code).toBe('TL_ERR_MODEL_MISSING');
    expect(missing.message).toBe(
      "baseModel: someone/local-only is not in the server's Hugging Face cache. Run `toonlora models pull someone/local-only` on the server's machine (any diffusers SD1.5 repo on the Hub), or use tiny (a small random-weight model: the flow runs, the images are noise).",
    );
    expect(missing.message).not.toContain(cwd);
    expect(workerBaseModel('tiny', api)).toBe('tiny');
    placeAnythingV5(join(root, 'tl', 'models', 'anything-v5'));
    expect(workerBaseModel('anything-v5', api)).toBe(join(root, 'tl', 'models', 'anything-v5'));
  });

  it('prefers the snapshot the main ref names, as the worker does', () => {
    const repo = join(root, 'hf', 'hub', 'models--someone--other-model');
    mkdirSync(join(repo, 'snapshots', 'aaa'), { recursive: true });
    mkdirSync(join(repo, 'snapshots', 'bbb'), { recursive: true });
    mkdirSync(join(repo, 'refs'), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), 'bbb\n');
    expect(hubCacheSnapshotDir('someone/other-model', options)).toBe(join(repo, 'snapshots', 'bbb'));
    expect(hubCacheSnapshotDir('someone/absent', options)).toBeUndefined();
  });
});

describe('checkBaseModelOnDisk', () => {
  it("refuses a Hub id that is not in the server's Hugging Face cache, and passes it once there", () => {
    const refused = thrownToonloraError(() =>
      checkBaseModelOnDisk('params.generation.baseModel', 'someone/other-model', options),
    );
    expect(refused.code).toBe('TL_ERR_MODEL_MISSING');
    expect(refused.message).toMatch(
      /^params\.generation\.baseModel: someone\/other-model is not in the server's Hugging Face cache\. Run `toonlora models pull someone\/other-model` on the server's machine/,
    );
    expect(refused.details).toEqual({
      fields: ['params.generation.baseModel'],
      model: 'someone/other-model',
    });
    writeSd15Snapshot(join(root, 'hf', 'hub', 'models--someone--other-model', 'snapshots', 'abc123'));
    expect(() => checkBaseModelOnDisk('f', 'someone/other-model', options)).not.toThrow();
  });

  it('refuses a Hub id whose snapshot a stopped pull left half-filled, naming the pull, as the worker would fail', () => {
    const repo = join(root, 'hf', 'hub', 'models--someone--other-model');
    const half = writeSd15Snapshot(join(repo, 'snapshots', 'abc123'), [
      'unet/diffusion_pytorch_model.safetensors',
      'vae/diffusion_pytorch_model.safetensors',
    ]);
    const refused = thrownToonloraError(() =>
      checkBaseModelOnDisk('params.training.baseModel', 'someone/other-model', options),
    );
    expect(refused.code).toBe('TL_ERR_MODEL_MISSING');
    expect(refused.message).toContain(
      `params.training.baseModel: someone/other-model is only partly in the server's Hugging Face cache (${half} lacks files of an SD1.5 load`,
    );
    expect(refused.message).toContain('Run `toonlora models pull someone/other-model`');
    const api = { ...options, fromApi: true };
    expect(thrownToonloraError(() => workerBaseModel('someone/other-model', api)).code).toBe(
      'TL_ERR_MODEL_MISSING',
    );
    // another complete snapshot is not main's while refs/main names the half-filled one (as huggingface_hub loads)
    writeSd15Snapshot(join(repo, 'snapshots', 'aaa000'));
    expect(readFileSync(join(repo, 'refs', 'main'), 'utf8')).toBe('abc123');
    expect(() => checkBaseModelOnDisk('f', 'someone/other-model', options)).toThrow(/only partly/);
    writeFileSync(join(repo, 'refs', 'main'), 'aaa000');
    expect(workerBaseModel('someone/other-model', api)).toBe(join(repo, 'snapshots', 'aaa000'));
  });

  it('refuses a registry base that is not on disk, naming the pull, and passes it once placed', () => {
    const refused = thrownToonloraError(() =>
      checkBaseModelOnDisk('params.training.baseModel', 'anything-v5', options),
    );
    expect(refused.code).toBe('TL_ERR_MODEL_MISSING');
    expect(refused.message).toBe(
      "params.training.baseModel: anything-v5 is not downloaded on the server. Run `toonlora models pull anything-v5` on the server's machine, or use tiny (a small random-weight model: the flow runs, the images are noise).",
    );
    expect(() => checkBaseModelOnDisk('f', 'tiny', options)).not.toThrow();
    placeAnythingV5(join(root, 'tl', 'models', 'anything-v5'));
    expect(() => checkBaseModelOnDisk('f', DEFAULT_BASE_MODEL, options)).not.toThrow();
  });
});
