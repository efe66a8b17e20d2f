// src/prep/stage-registry.test.ts — the stage registry opens the chosen models when it resolves them:
// a cached model file that does not load makes an `auto` choice fall back (saying which file and why) and a
// stage asked for by name fail with TL_ERR_MODEL_MISSING, before prep writes anything.
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onnxFixture } from '../../test/helpers/images.js';
import {
  createTextStages,
  resolveCaptioner,
  resolvePersonDetector,
  resolveSegmenter,
} from './stage-registry.js';
import { parsePrepConfig } from './pipeline.js';

const GARBAGE = 'this is not an ONNX model\n';

/** A toonlora home whose model cache holds `files` (registry path -> contents or fixture to copy). */
function homeWith(files: Record<string, { text: string } | { fixture: string }>) {
  const home = mkdtempSync(join(tmpdir(), 'toonlora-home-'));
  for (const [path, content] of Object.entries(files)) {
    const target = join(home, 'models', path);
    mkdirSync(dirname(target), { recursive: true });
    if ('text' in content) writeFileSync(target, content.text);
    else copyFileSync(onnxFixture(content.fixture), target);
  }
  return { home, cache: { env: { TOONLORA_HOME: home, HF_HOME: join(home, 'no-hf') } } };
}

const garbage = homeWith({
  'isnet-anime/isnet-anime.onnx': { text: GARBAGE },
  'u2net/u2net.onnx': { text: GARBAGE },
  'wd-vit-tagger-v3/model.onnx': { text: GARBAGE },
  'wd-vit-tagger-v3/selected_tags.csv': { fixture: 'wd-vit-tagger-v3/selected_tags.csv' },
  'anime-person-detector/person_detect_v1.3_s/model.onnx': { text: GARBAGE },
  'lama/lama_fp32.onnx': { text: GARBAGE },
});
const notLoadable = (id: string, file: string) =>
  new RegExp(
    `${id}: ${garbage.home}/models/${id}/${file} is not a loadable ONNX model \\(.+\\)\\. Delete it and run: toonlora models pull ${id}`,
  );

describe('stage registry with model files that do not load', () => {
  it('auto segmenter falls back to classic, naming the file and why', async () => {
    const resolved = await resolveSegmenter('auto', garbage.cache);
    expect(resolved.stage.name).toBe('classic');
    expect(resolved.choice.name).toBe('classic');
    expect(resolved.choice.reason).toMatch(/^auto: isnet-anime failed to load: /);
    expect(resolved.choice.reason).toMatch(notLoadable('isnet-anime', 'isnet-anime\\.onnx'));
  });

  it('a segmenter asked for by name fails with TL_ERR_MODEL_MISSING', async () => {
    await expect(resolveSegmenter('isnet-anime', garbage.cache)).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      message: expect.stringMatching(notLoadable('isnet-anime', 'isnet-anime\\.onnx')),
    });
    await expect(resolveSegmenter('u2net', garbage.cache)).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      message: expect.stringMatching(notLoadable('u2net', 'u2net\\.onnx')),
    });
  });

  it('auto captioner falls back to trigger + class words; wd14 by name fails', async () => {
    const auto = await resolveCaptioner(parsePrepConfig({}), garbage.cache);
    expect(auto.stage.name).toBe('none');
    expect(auto.choice.reason).toMatch(
      /^auto: captions are the trigger and class words; wd-vit-tagger-v3 failed to load: /,
    );
    expect(auto.choice.reason).toMatch(notLoadable('wd-vit-tagger-v3', 'model\\.onnx'));
    await expect(
      resolveCaptioner(parsePrepConfig({ captioner: 'wd14' }), garbage.cache),
    ).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      message: expect.stringMatching(notLoadable('wd-vit-tagger-v3', 'model\\.onnx')),
    });
  });

  it('an unreadable WD14 tag list is caught when the captioner is resolved, not on the first crop', async () => {
    const badTags = homeWith({
      'wd-vit-tagger-v3/model.onnx': { fixture: 'wd-vit-tagger-v3/model.onnx' },
      'wd-vit-tagger-v3/selected_tags.csv': { text: 'no,columns,here\n' },
    });
    await expect(
      resolveCaptioner(parsePrepConfig({ captioner: 'wd14' }), badTags.cache),
    ).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      message: expect.stringMatching(
        /wd-vit-tagger-v3: cannot read .*selected_tags\.csv \(selected_tags\.csv: expected "name" and "category" columns/,
      ),
    });
  });

  it('the person detector falls back to mask parts, naming the file and why', async () => {
    const resolved = await resolvePersonDetector('all', garbage.cache);
    expect(resolved?.stage).toBeNull();
    expect(resolved?.choice.reason).toMatch(/^anime-person-detector failed to load: /);
    expect(resolved?.choice.reason).toMatch(
      notLoadable('anime-person-detector', 'person_detect_v1\\.3_s/model\\.onnx'),
    );
    expect(await resolvePersonDetector('largest', garbage.cache)).toBeNull();
  });

  it('text removal: auto falls back to OpenCV, naming the LaMa file and why; lama by name fails', async () => {
    const auto = await createTextStages(parsePrepConfig({}), garbage.cache);
    expect(auto.remover.choice.name).toBe('opencv-inpaint-ns');
    expect(auto.remover.choice.reason).toMatch(/^auto: lama failed to load: /);
    expect(auto.remover.choice.reason).toMatch(notLoadable('lama', 'lama_fp32\\.onnx'));
    await expect(
      createTextStages(parsePrepConfig({ inpainter: 'lama' }), garbage.cache),
    ).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      message: expect.stringMatching(notLoadable('lama', 'lama_fp32\\.onnx')),
    });
  });

  it('text removal: auto without LaMa downloaded says how to get it (the pull as data too); opencv by name skips it', async () => {
    const auto = await createTextStages(parsePrepConfig({}), homeWith({}).cache);
    expect(auto.remover.choice).toEqual({
      name: 'opencv-inpaint-ns',
      reason:
        'auto: lama is not downloaded; `toonlora models pull lama` keeps screentone and lines under removed text',
      reasonParts: [
        'auto: lama is not downloaded; ',
        { kind: 'pull-model', id: 'lama' },
        ' keeps screentone and lines under removed text',
      ],
    });
    const good = homeWith({ 'lama/lama_fp32.onnx': { fixture: 'lama.onnx' } });
    const opencv = await createTextStages(parsePrepConfig({ inpainter: 'opencv' }), good.cache);
    expect(opencv.remover.choice).toEqual({ name: 'opencv-inpaint-ns', reason: 'asked for by name' });
  });

  it('loads the working fixtures up front', async () => {
    const good = homeWith({
      'isnet-anime/isnet-anime.onnx': { fixture: 'isnet-anime.onnx' },
      'anime-person-detector/person_detect_v1.3_s/model.onnx': { fixture: 'anime-person-detector.onnx' },
    });
    expect((await resolveSegmenter('auto', good.cache)).choice).toEqual({
      name: 'isnet-anime',
      reason: 'auto: its weights are in the model cache',
    });
    expect((await resolvePersonDetector('all', good.cache))?.stage?.name).toBe('anime-person-detector');
    const lama = homeWith({ 'lama/lama_fp32.onnx': { fixture: 'lama.onnx' } });
    expect((await createTextStages(parsePrepConfig({}), lama.cache)).remover.choice).toEqual({
      name: 'lama-inpaint',
      reason: 'auto: its weights are in the model cache',
    });
  });
});

describe('stage registry with a cut-off BLIP folder', () => {
  // every file name blip-base needs, but a 1 MB model.safetensors and `{}` JSON (an interrupted copy)
  const cutOff = homeWith({
    'blip-base/config.json': { text: '{}' },
    'blip-base/preprocessor_config.json': { text: '{}' },
    'blip-base/model.safetensors': { text: 'x'.repeat(1_000_000) },
    'blip-base/vocab.txt': { text: '{}' },
  });

  it('auto does not pick it, and says why', async () => {
    const resolved = await resolveCaptioner(parsePrepConfig({ captioner: 'auto' }), cutOff.cache);
    expect(resolved.choice.name).toBe('none');
    expect(resolved.choice.reason).toMatch(
      /^auto: captions are the trigger and class words; not BLIP: blip-base looks incomplete \(.*config\.json: size: expected about 4600 bytes, got 2\); `toonlora models pull blip-base` replaces it$/,
    );
  });

  it('--captioner blip fails before the run with the same reason', async () => {
    await expect(
      resolveCaptioner(parsePrepConfig({ captioner: 'blip' }), cutOff.cache),
    ).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      message: expect.stringContaining('blip-base looks incomplete'),
    });
  });
});
