// test/prep-output-model-fallback.test.ts — runPrep with cached model files that do not load: auto falls back
// and writes a complete dataset, and a stage asked for by name fails before the output folder is made (set-up in
// helpers/prep-output-setup.ts).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPrep } from '../src/prep/pipeline.js';
import { manifestSchema } from '../src/schemas/manifest.js';
import { prepOutputFixture } from './helpers/prep-output-setup.js';

const { root, drawn } = prepOutputFixture();

/** A toonlora home whose isnet-anime, WD14 and person-detector files are text, not ONNX. */
function garbageCache() {
  const home = join(root, 'garbage-home');
  const files = [
    'isnet-anime/isnet-anime.onnx',
    'wd-vit-tagger-v3/model.onnx',
    'wd-vit-tagger-v3/selected_tags.csv',
    'anime-person-detector/person_detect_v1.3_s/model.onnx',
    'lama/lama_fp32.onnx',
  ];
  for (const file of files) {
    mkdirSync(join(home, 'models', file, '..'), { recursive: true });
    writeFileSync(
      join(home, 'models', file),
      file.endsWith('.csv') ? 'tag_id,name,category,count\n0,smile,0,1\n' : 'not ONNX\n',
    );
  }
  return { env: { TOONLORA_HOME: home, HF_HOME: join(root, 'empty-hf') } };
}

describe('runPrep with cached model files that do not load', () => {
  it('auto falls back (one line per stage naming the file) and writes a complete dataset', async () => {
    const lines: string[] = [];
    const run = await runPrep({
      inputs: [drawn.panel],
      outDir: join(root, 'garbage-auto'),
      config: { characters: 'all' },
      cache: garbageCache(),
      onMessage: (line) => lines.push(line),
    });
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /^segmenter: classic \(auto: isnet-anime failed to load: .*isnet-anime\.onnx is not a loadable ONNX model/,
    );
    expect(lines[1]).toMatch(
      /^captioner: none \(auto: .*wd-vit-tagger-v3 failed to load: .*model\.onnx is not a loadable ONNX model/,
    );
    expect(lines[2]).toMatch(
      /^characters: all, split by separate mask parts; anime-person-detector failed to load: .*model\.onnx is not a loadable/,
    );
    expect(lines[3]).toMatch(
      /^text removal: opencv-inpaint-ns \(auto: lama failed to load: .*lama_fp32\.onnx is not a loadable ONNX model/,
    );
    expect(run.manifest.stages.personDetector).toMatchObject({
      name: 'mask-parts',
      reason: expect.stringMatching(/^split by separate mask parts; anime-person-detector failed to load/),
    });
    expect(run.manifest.summary.crops).toBeGreaterThan(0);
    for (const crop of run.manifest.files.flatMap((f) => f.crops)) {
      expect(readFileSync(join(run.outDir, crop.captionFile), 'utf8')).toBe('sks, girl\n');
    }
    expect(
      manifestSchema.parse(JSON.parse(readFileSync(String(run.manifestPath), 'utf8'))).stages.segmenter.name,
    ).toBe('classic');
  }, 60_000);

  it('a stage asked for by name fails before the output folder is made', async () => {
    const out = join(root, 'garbage-named');
    for (const config of [{ segmenter: 'isnet-anime' as const }, { captioner: 'wd14' as const }]) {
      await expect(
        runPrep({ inputs: [drawn.panel], outDir: out, config, cache: garbageCache() }),
      ).rejects.toMatchObject({
        code: 'TL_ERR_MODEL_MISSING',
        message: expect.stringMatching(
          /is not a loadable ONNX model .*Delete it and run: toonlora models pull/,
        ),
      });
    }
    expect(existsSync(out)).toBe(false);
  });
});
