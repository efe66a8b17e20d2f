// web/src/components/prep-model-warnings.test.ts — the Upload page warns before Build about a chosen stage whose
// model the server has not downloaded (it gave no warning; the build failed later).
import { describe, expect, it } from 'vitest';
import { prepModelWarnings } from './prep-model-warnings.js';

const AUTO = { characters: 'largest', segmenter: 'auto', inpainter: 'auto', captioner: 'auto' } as const;

describe('prepModelWarnings', () => {
  it('warns for each chosen stage whose model is not complete on the server', () => {
    const models = [
      { id: 'isnet-anime', state: 'missing' },
      { id: 'wd-vit-tagger-v3', state: 'partial' },
      { id: 'blip-base', state: 'complete' },
      { id: 'anime-person-detector', state: 'missing' },
    ] as const;
    expect(prepModelWarnings({ ...AUTO, segmenter: 'isnet-anime', captioner: 'blip+wd14' }, models)).toEqual([
      'Character cut-out "isnet-anime": isnet-anime is not downloaded on the server, so the build would fail: pull it on the Models page, or choose auto.',
      'Captions "blip+wd14": wd-vit-tagger-v3 is not downloaded on the server, so the build would fail: pull it on the Models page, or choose auto.',
    ]);
    expect(prepModelWarnings({ ...AUTO, characters: 'all' }, models)).toEqual([
      'Characters per screenshot "all": anime-person-detector is not downloaded on the server, so characters are split by mask parts instead: pull it on the Models page to split them by detections.',
    ]);
  });
  it('says nothing for auto, a downloaded model, or before the models list is read', () => {
    expect(prepModelWarnings(AUTO, [])).toEqual([]);
    expect(
      prepModelWarnings({ ...AUTO, captioner: 'blip' }, [{ id: 'blip-base', state: 'complete' }]),
    ).toEqual([]);
    expect(prepModelWarnings({ ...AUTO, inpainter: 'lama' }, null)).toEqual([]);
    expect(prepModelWarnings({ ...AUTO, captioner: 'blip+wd14' }, [])).toEqual([
      'Captions "blip+wd14": blip-base and wd-vit-tagger-v3 are not downloaded on the server, so the build would fail: pull them on the Models page, or choose auto.',
    ]);
  });
});
