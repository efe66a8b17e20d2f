// Tests of a Hub base named at a revision (`owner/name@REV`): parsed in one place, checked before a run against the
// snapshot its ref names (not main's), and handed to the worker as `owner/name@<commit>`, CLI and API alike.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { thrownToonloraError } from '../errors-testing.js';
import { isApiBaseModel } from '../server/api-base-model.js';
import { checkTrainingBase } from '../worker/base-check.js';
import { apiBaseModelChoices } from '../server/api-base-model.js';
import { checkBaseModelOnDisk, workerBaseModel } from './base-model.js';
import { parseHubBase, readHubBase } from './base-revision.js';
import { describePulledHubModels } from './model-status.js';
import { writeSd15Snapshot } from './sd15-testing.js';

const MAIN = 'a'.repeat(40);
const TAG = 'b'.repeat(40);
let root: string;
let options: { env: Record<string, string>; homeDir: string };
const repoDir = () => join(root, 'hf', 'hub', 'models--someone--toon-sd15');

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'toonlora-base-rev-'));
  options = {
    env: { TOONLORA_HOME: join(root, 'tl'), HF_HOME: join(root, 'hf') },
    homeDir: join(root, 'home'),
  };
  return () => rmSync(root, { recursive: true, force: true });
});

/** main at MAIN (complete) and, when `tag`, refs/v1.0 at TAG (complete unless `without` names files). */
function cacheWithTag(without: readonly string[] = []): void {
  writeSd15Snapshot(join(repoDir(), 'snapshots', MAIN));
  writeSd15Snapshot(join(repoDir(), 'snapshots', TAG), without);
  mkdirSync(join(repoDir(), 'refs', 'refs', 'pr'), { recursive: true });
  writeFileSync(join(repoDir(), 'refs', 'v1.0'), TAG);
  writeFileSync(join(repoDir(), 'refs', 'refs', 'pr', '1'), TAG);
}

const refusal = (promise: Promise<void>) =>
  promise.then(
    () => undefined,
    (error: { code: string; message: string }) => ({ code: error.code, message: error.message }),
  );

describe('parseHubBase', () => {
  it('reads owner/name[@REV] and nothing else', () => {
    expect(parseHubBase('someone/toon-sd15')).toEqual({ repo: 'someone/toon-sd15', revision: undefined });
    expect(parseHubBase('someone/toon-sd15@v1.0')).toEqual({ repo: 'someone/toon-sd15', revision: 'v1.0' });
    expect(parseHubBase('someone/toon-sd15@refs/pr/1')?.revision).toBe('refs/pr/1');
    for (const name of ['tiny', 'someone/toon@', 'someone/toon@../x', '../a/b@main', 'a/b/c', '@main']) {
      expect(parseHubBase(name)).toBeUndefined();
    }
  });

  it('is what the job API accepts as a Hub base, a path still refused', () => {
    expect(isApiBaseModel('someone/toon-sd15@v1.0')).toBe(true);
    expect(isApiBaseModel(`someone/toon-sd15@refs/pr/1`)).toBe(true);
    expect(isApiBaseModel('someone/toon@../../etc')).toBe(false);
    expect(isApiBaseModel('../toon@main')).toBe(false);
    expect(isApiBaseModel('someone/toon.safetensors@main')).toBe(false);
  });
});

describe('workerBaseModel owner/name@REV', () => {
  it("sends owner/name@<commit> of the revision's ref (CLI and API), not main's", () => {
    cacheWithTag();
    expect(workerBaseModel('someone/toon-sd15@v1.0', options)).toBe(`someone/toon-sd15@${TAG}`);
    expect(workerBaseModel('someone/toon-sd15@refs/pr/1', options)).toBe(`someone/toon-sd15@${TAG}`);
    expect(workerBaseModel(`someone/toon-sd15@${MAIN}`, { ...options, fromApi: true })).toBe(
      `someone/toon-sd15@${MAIN}`,
    );
    expect(workerBaseModel('someone/toon-sd15@v1.0', { ...options, fromApi: true })).toBe(
      `someone/toon-sd15@${TAG}`,
    );
    expect(workerBaseModel('someone/toon-sd15', { ...options, fromApi: true })).toBe(
      join(repoDir(), 'snapshots', MAIN),
    );
  });

  it('refuses an API job whose revision is not pulled, or only partly, naming the pull with --revision', () => {
    writeSd15Snapshot(join(repoDir(), 'snapshots', MAIN));
    const api = { ...options, fromApi: true };
    const absent = thrownToonloraError(() => workerBaseModel('someone/toon-sd15@v1.0', api));
    expect(absent.code).toBe('TL_ERR_MODEL_MISSING');
    expect(absent.message).toContain(
      "someone/toon-sd15@v1.0 is not in the server's Hugging Face cache. Run `toonlora models pull someone/toon-sd15 --revision v1.0`",
    );
    rmSync(join(repoDir(), 'snapshots', TAG), { recursive: true, force: true });
    cacheWithTag(['unet/diffusion_pytorch_model.safetensors']);
    const partly = thrownToonloraError(() =>
      checkBaseModelOnDisk('params.training.baseModel', 'someone/toon-sd15@v1.0', options),
    );
    expect(partly.message).toContain(
      `is only partly in the server's Hugging Face cache (${join(repoDir(), 'snapshots', TAG)}`,
    );
    expect(partly.message).toContain('`toonlora models pull someone/toon-sd15 --revision v1.0`');
    expect(() => checkBaseModelOnDisk('f', 'someone/toon-sd15', options)).not.toThrow();
  });
});

describe('checkTrainingBase owner/name@REV', () => {
  it("checks the revision's snapshot, not main's, and names the pull with --revision", async () => {
    writeSd15Snapshot(join(repoDir(), 'snapshots', MAIN));
    expect(await refusal(checkTrainingBase('someone/toon-sd15', options))).toBeUndefined();
    expect(await refusal(checkTrainingBase('someone/toon-sd15@refs/pr/1', options))).toEqual({
      code: 'TL_ERR_MODEL_MISSING',
      message:
        'someone/toon-sd15@refs/pr/1: base model not found on this machine (not in the Hugging Face cache). Pull it into the Hugging Face cache first (`toonlora models pull someone/toon-sd15 --revision refs/pr/1`: any diffusers SD1.5 repo), or pass a local folder / .safetensors file.',
    });
    cacheWithTag(['unet/diffusion_pytorch_model.safetensors']);
    expect(await refusal(checkTrainingBase('someone/toon-sd15@v1.0', options))).toMatchObject({
      message: expect.stringContaining(
        `only partly in the Hugging Face cache (${join(repoDir(), 'snapshots', TAG)} lacks unet/`,
      ),
    });
    writeSd15Snapshot(join(repoDir(), 'snapshots', TAG));
    expect(await refusal(checkTrainingBase('someone/toon-sd15@v1.0', options))).toBeUndefined();
    expect(await refusal(checkTrainingBase(`someone/toon-sd15@${TAG}`, options))).toBeUndefined();
  });
});

describe('owner/name@ with no valid revision', () => {
  it('is refused as an invalid revision, not "not found" with a pull command that is itself refused', async () => {
    writeSd15Snapshot(join(repoDir(), 'snapshots', MAIN));
    for (const revision of ['', 'v 1', '..']) {
      const name = `someone/toon-sd15@${revision}`;
      const refused = await refusal(checkTrainingBase(name, options));
      expect(refused).toEqual({
        code: 'TL_ERR_USAGE',
        message: `${JSON.stringify(name)}: the revision after '@' is not a branch, tag or commit sha (letters, digits, '_', '.', '-', segments joined by '/', as main, v1.0 or refs/pr/1)`,
      });
      expect(thrownToonloraError(() => readHubBase(name)).code).toBe('TL_ERR_USAGE');
    }
    expect(readHubBase('someone/toon-sd15@v1.0')).toEqual({ repo: 'someone/toon-sd15', revision: 'v1.0' });
    expect(readHubBase('tiny')).toBeUndefined();
    expect(readHubBase('../a/b@')).toBeUndefined(); // no Hub repo before the '@': some other name
  });
});

describe('a Hub base pulled at other refs than main', () => {
  it('is listed complete with its refs, and offered to jobs as owner/name@<ref>', () => {
    // pulled only at refs/pr/1 and v1.0 (no refs/main): before, it read as a stopped pull of main ("partial")
    writeSd15Snapshot(join(repoDir(), 'snapshots', TAG));
    rmSync(join(repoDir(), 'refs', 'main'));
    mkdirSync(join(repoDir(), 'refs', 'refs', 'pr'), { recursive: true });
    writeFileSync(join(repoDir(), 'refs', 'v1.0'), TAG);
    writeFileSync(join(repoDir(), 'refs', 'refs', 'pr', '1'), TAG);
    const [status] = describePulledHubModels(options);
    expect(status).toMatchObject({
      id: 'someone/toon-sd15',
      present: true,
      revisions: ['refs/pr/1', 'v1.0'],
      source: 'huggingface:someone/toon-sd15@refs/pr/1', // was @main, which it does not have
    });
    expect(status?.path).toBe(join(repoDir(), 'snapshots', TAG));
    expect(apiBaseModelChoices([], status ? [status] : []).map((choice) => choice.name)).toEqual([
      'someone/toon-sd15@refs/pr/1',
      'someone/toon-sd15@v1.0',
    ]);
    writeSd15Snapshot(join(repoDir(), 'snapshots', MAIN));
    writeFileSync(join(repoDir(), 'refs', 'main'), MAIN);
    const [both] = describePulledHubModels(options);
    expect(both).toMatchObject({
      path: join(repoDir(), 'snapshots', MAIN),
      revisions: ['main', 'refs/pr/1', 'v1.0'],
    });
    // the Models page shows these: no CLI flag (it read "for --base", "train / generate with --base …")
    expect(`${both?.description} ${both?.whenMissing}`).not.toContain('--');
    expect(apiBaseModelChoices([], both ? [both] : []).map((choice) => choice.name)[0]).toBe(
      'someone/toon-sd15',
    );
    rmSync(join(repoDir(), 'refs', 'v1.0'));
    rmSync(join(repoDir(), 'refs', 'refs'), { recursive: true });
    expect(describePulledHubModels(options)[0]?.revisions).toBeUndefined(); // main alone: as before
  });
});
